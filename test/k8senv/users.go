package k8senv

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strings"
)

// User is an identity every cluster authenticates, by a bearer token from
// the apiserver's token file. Each cluster has its own random tokens.
type User int

const (
	// Admin is in system:masters: allowed everything, whatever RBAC says.
	Admin User = iota
	// NonAdmin has no group beyond system:authenticated, so RBAC allows it
	// only discovery until a test binds a role to NonAdmin.Name().
	NonAdmin
)

var users = []User{Admin, NonAdmin}

// Name is the user name the apiserver sees (for RBAC subjects).
func (u User) Name() string {
	switch u {
	case Admin:
		return "k8senv-admin"
	case NonAdmin:
		return "k8senv-nonadmin"
	}
	return fmt.Sprintf("k8senv.User(%d)", int(u))
}

func (u User) String() string { return u.Name() }

// groups is the group column of the user's token-file line.
func (u User) groups() string {
	if u == Admin {
		return "system:masters"
	}
	return ""
}

// valid panics on a User that is not one of the constants: a programming error.
func (u User) valid() {
	if u != Admin && u != NonAdmin {
		panic(fmt.Sprintf("k8senv: unknown user %d", int(u)))
	}
}

// newToken returns a fresh random token.
func newToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// newTokens returns a fresh random token for every user.
func newTokens() map[User]string {
	tokens := make(map[User]string, len(users))
	for _, u := range users {
		tokens[u] = newToken()
	}
	return tokens
}

// writeTokenFile writes the apiserver's --token-auth-file (CSV:
// token,user,uid,"group,..."), readable by the owner only.
// extra are more tokens, each for the user it maps to.
func writeTokenFile(path string, tokens map[User]string, extra map[string]User) error {
	var b strings.Builder
	line := func(token string, u User) {
		fmt.Fprintf(&b, "%s,%s,%s", token, u.Name(), u.Name())
		if g := u.groups(); g != "" {
			fmt.Fprintf(&b, ",%q", g)
		}
		b.WriteByte('\n')
	}
	for _, u := range users {
		line(tokens[u], u)
	}
	extras := make([]string, 0, len(extra))
	for t := range extra {
		extras = append(extras, t)
	}
	slices.Sort(extras)
	for _, t := range extras {
		line(t, extra[t])
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// Token is the token of u that UserConfig and Kubeconfig use.
func (c *Cluster) Token(u User) string {
	u.valid()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tokens[u]
}

// AddToken mints another token for u (the same user name, so the same RBAC
// bindings), adds it to the apiserver's token file and restarts the
// apiserver, which reads that file at start-up only. u's other tokens stay
// valid until RevokeToken. UserConfig and Kubeconfig keep using Token(u).
func (c *Cluster) AddToken(u User) (string, error) {
	u.valid()
	tok := newToken()
	c.mu.Lock()
	c.extra[tok] = u
	err := writeTokenFile(c.path("tokens.csv"), c.tokens, c.extra)
	c.mu.Unlock()
	if err != nil {
		return "", err
	}
	return tok, c.Restart()
}

// RevokeToken removes token from the apiserver's token file and restarts the
// apiserver: requests with it are refused (401) from then on. Revoking the
// token UserConfig uses (Token(u)) makes one of u's added tokens Token(u);
// revoking u's last token is an error.
func (c *Cluster) RevokeToken(token string) error {
	c.mu.Lock()
	if _, ok := c.extra[token]; ok {
		delete(c.extra, token)
	} else {
		var owner User = -1
		for _, u := range users {
			if c.tokens[u] == token {
				owner = u
			}
		}
		if owner < 0 {
			c.mu.Unlock()
			return fmt.Errorf("k8senv: cluster %s: no such token", c.Name)
		}
		next := ""
		for t, u := range c.extra {
			if u == owner && (next == "" || t < next) {
				next = t
			}
		}
		if next == "" {
			c.mu.Unlock()
			return fmt.Errorf("k8senv: cluster %s: %s has no other token: add one first", c.Name, owner)
		}
		delete(c.extra, next)
		c.tokens[owner] = next
	}
	err := writeTokenFile(c.path("tokens.csv"), c.tokens, c.extra)
	c.mu.Unlock()
	if err != nil {
		return err
	}
	return c.Restart()
}
