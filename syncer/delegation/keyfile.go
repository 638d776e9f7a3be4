package delegation

import (
	"encoding/base64"
	"fmt"
	"os"
	"strings"
	"unicode"
)

// ReadKeyFile reads a TSIG key in BIND's syntax, as tsig-keygen and
// ddns-confgen write it (and as a Kubernetes Secret made from that output
// mounts it):
//
//	key "gslb-site-a" {
//		algorithm hmac-sha256;
//		secret "base64…";
//	};
//
// The file holds one key. Errors name the file and line, never the secret.
func ReadKeyFile(path string) (Key, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Key{}, err
	}
	k, err := parseKey(tokenize(string(data)))
	if err != nil {
		return Key{}, fmt.Errorf("%s:%w", path, err)
	}
	return k, nil
}

// token is a word, a quoted string (unquoted) or one of { } ;
type token struct {
	text   string
	line   int
	quoted bool
}

// tokenize splits BIND configuration text into tokens, dropping comments
// (#, // and /* */).
func tokenize(s string) []token {
	var out []token
	line := 1
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\n':
			line++
			i++
		case unicode.IsSpace(rune(c)):
			i++
		case c == '#' || strings.HasPrefix(s[i:], "//"):
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case strings.HasPrefix(s[i:], "/*"):
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				end = len(s) - i - 4
			}
			line += strings.Count(s[i:i+end+4], "\n")
			i += end + 4
		case c == '{' || c == '}' || c == ';':
			out = append(out, token{text: string(c), line: line})
			i++
		case c == '"':
			end := strings.IndexByte(s[i+1:], '"')
			if end < 0 {
				end = len(s) - i - 1
			}
			out = append(out, token{text: s[i+1 : i+1+end], line: line, quoted: true})
			line += strings.Count(s[i+1:i+1+end], "\n")
			i += end + 2
		default:
			j := i
			for j < len(s) && !unicode.IsSpace(rune(s[j])) && !strings.ContainsRune("{};\"", rune(s[j])) {
				j++
			}
			out = append(out, token{text: s[i:j], line: line})
			i = j
		}
	}
	return out
}

// parseKey reads `key NAME { algorithm ALG; secret "S"; };`.
func parseKey(toks []token) (Key, error) {
	p := &keyParser{toks: toks}
	var k Key
	p.expect("key")
	k.Name = p.value("the key's name")
	p.expect("{")
	for p.err == nil && p.peek() != "}" {
		switch field := p.value("algorithm or secret"); field {
		case "algorithm":
			k.Algorithm = p.value("the algorithm")
		case "secret":
			k.Secret = p.secret()
		default:
			p.fail("unknown statement %q in the key (want algorithm and secret)", field)
		}
		p.expect(";")
	}
	p.expect("}")
	p.expect(";")
	if p.err == nil && p.i < len(p.toks) {
		p.fail("more than one key, or text after the key")
	}
	switch {
	case p.err != nil:
		return Key{}, p.err
	case k.Secret == "":
		return Key{}, fmt.Errorf("%d: key %q has no secret", p.lastLine(), k.Name)
	case k.Algorithm == "":
		return Key{}, fmt.Errorf("%d: key %q has no algorithm", p.lastLine(), k.Name)
	}
	return k, nil
}

type keyParser struct {
	toks []token
	i    int
	err  error // the first problem, "LINE: message"
}

func (p *keyParser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i].text
	}
	return ""
}

func (p *keyParser) lastLine() int {
	if len(p.toks) == 0 {
		return 1
	}
	return p.toks[min(p.i, len(p.toks)-1)].line
}

func (p *keyParser) fail(format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf("%d: %s", p.lastLine(), fmt.Sprintf(format, args...))
	}
}

// next returns the next token, or fails with what was wanted.
func (p *keyParser) next(want string) (token, bool) {
	if p.err != nil {
		return token{}, false
	}
	if p.i >= len(p.toks) {
		p.fail("the file ends where %s should be", want)
		return token{}, false
	}
	p.i++
	return p.toks[p.i-1], true
}

func (p *keyParser) expect(word string) {
	if t, ok := p.next(fmt.Sprintf("%q", word)); ok && (t.text != word || t.quoted) {
		p.i--
		p.fail("%q where %q should be", t.text, word)
	}
}

func (p *keyParser) value(want string) string {
	t, ok := p.next(want)
	if ok && !t.quoted && strings.ContainsAny(t.text, "{};") {
		p.i--
		p.fail("%q where %s should be", t.text, want)
		return ""
	}
	return t.text
}

// secret reads the secret; a bad one is reported without its text.
func (p *keyParser) secret() string {
	s := p.value("the secret")
	if _, err := base64.StdEncoding.DecodeString(s); p.err == nil && err != nil {
		p.i--
		p.fail("the secret is not base64 (%d characters)", len(s))
		p.i++
	}
	return s
}
