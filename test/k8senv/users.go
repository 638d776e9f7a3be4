package k8senv

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
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

// newTokens returns a fresh random token for every user.
func newTokens() map[User]string {
	tokens := make(map[User]string, len(users))
	for _, u := range users {
		b := make([]byte, 32)
		rand.Read(b)
		tokens[u] = hex.EncodeToString(b)
	}
	return tokens
}

// writeTokenFile writes the apiserver's --token-auth-file (CSV:
// token,user,uid,"group,..."), readable by the owner only.
func writeTokenFile(path string, tokens map[User]string) error {
	var b strings.Builder
	for _, u := range users {
		fmt.Fprintf(&b, "%s,%s,%s", tokens[u], u.Name(), u.Name())
		if g := u.groups(); g != "" {
			fmt.Fprintf(&b, ",%q", g)
		}
		b.WriteByte('\n')
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}
