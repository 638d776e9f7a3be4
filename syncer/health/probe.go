package health

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Result is the outcome of one probe.
type Result struct {
	OK bool
	// Reason says what the probe saw: "HTTP 200 from GET /",
	// "connect: connection refused", "timeout after 1s".
	Reason string
}

// Target is what one probe loop checks: a member's address with a check
// whose Port is the member's probe port.
type Target struct {
	Address string // an IPv4 or IPv6 literal
	Check   Check
}

// HostPort is the address to connect to.
func (t Target) HostPort() string {
	return net.JoinHostPort(t.Address, strconv.Itoa(int(t.Check.Port)))
}

// DialFunc opens a connection, like (*net.Dialer).DialContext.
type DialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// ProbeFunc runs one probe of t; ctx carries the probe's deadline.
type ProbeFunc func(ctx context.Context, t Target) Result

// readers are the buffers of the probes' responses.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}

// maxHeaderBytes bounds what is read of a response before its body.
const maxHeaderBytes = 64 << 10

// maxReason bounds the length of a reason.
const maxReason = 200

// Probe runs one probe of t over dial, within ctx's deadline (which the
// caller sets to the check's timeout). It never follows redirects: a 3xx
// status is judged like any other. Each probe opens a new connection and
// closes it, so that a kept-alive connection never hides a dead listener.
func Probe(ctx context.Context, dial DialFunc, t Target) Result {
	c := &t.Check
	switch c.Type {
	case TypeTCP:
		conn, err := dial(ctx, "tcp", t.HostPort())
		if err != nil {
			return fail(ctx, c, err)
		}
		conn.Close()
		return Result{OK: true, Reason: "TCP connect ok"}
	case TypeHTTP, TypeHTTPS:
		ranges, err := ParseStatusRanges(c.ExpectStatus)
		if err != nil {
			return Result{Reason: err.Error()}
		}
		return probeHTTP(ctx, dial, t, ranges)
	default:
		return Result{Reason: "no probe of type " + c.Type.String()}
	}
}

func probeHTTP(ctx context.Context, dial DialFunc, t Target, ranges []StatusRange) Result {
	c := &t.Check
	conn, err := dial(ctx, "tcp", t.HostPort())
	if err != nil {
		return fail(ctx, c, err)
	}
	defer conn.Close()
	if d, ok := ctx.Deadline(); ok {
		conn.SetDeadline(d)
	}
	// Reads and writes do not watch ctx: end them when it ends.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if c.Type == TypeHTTPS {
		sni := c.SNI
		if sni == "" {
			sni = c.Host
		}
		tc := tls.Client(conn, &tls.Config{
			ServerName:         sni,
			InsecureSkipVerify: c.InsecureSkipVerify, // an explicit opt-in of the check
			MinVersion:         tls.VersionTLS12,
		})
		if err := tc.HandshakeContext(ctx); err != nil {
			return fail(ctx, c, fmt.Errorf("TLS handshake: %w", err))
		}
		conn = tc
	}

	req := "" + c.Method + " " + c.Path + " HTTP/1.1\r\nHost: " + c.Host +
		"\r\nUser-Agent: gslb-syncer-probe\r\nAccept: */*\r\nConnection: close\r\n\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		return fail(ctx, c, err)
	}
	br := readers.Get().(*bufio.Reader)
	br.Reset(io.LimitReader(conn, maxHeaderBytes+MaxBodyRead))
	defer func() {
		br.Reset(nil)
		readers.Put(br)
	}()
	resp, err := http.ReadResponse(br, &http.Request{Method: c.Method})
	if err != nil {
		return fail(ctx, c, err)
	}
	defer resp.Body.Close()
	what := "HTTP " + strconv.Itoa(resp.StatusCode) + " from " + c.Method + " " + c.Path
	if !statusOK(ranges, resp.StatusCode) {
		return Result{Reason: clip(what)}
	}
	if c.BodyContains != "" {
		body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBodyRead))
		if !bytes.Contains(body, []byte(c.BodyContains)) {
			if err != nil {
				return fail(ctx, c, fmt.Errorf("reading the body: %w", err))
			}
			return Result{Reason: clip(fmt.Sprintf("body lacks %q", c.BodyContains))}
		}
	}
	return Result{OK: true, Reason: clip(what)}
}

// fail turns a probe's error into a failed result with a short reason.
func fail(ctx context.Context, c *Check, err error) Result {
	return Result{Reason: clip(reason(ctx, c, err))}
}

func reason(ctx context.Context, c *Check, err error) string {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout()) || ctx.Err() != nil {
		return "timeout after " + c.Timeout.String()
	}
	prefix := ""
	if strings.HasPrefix(err.Error(), "TLS handshake: ") {
		prefix = "TLS handshake: "
	}
	var op *net.OpError
	switch {
	case errors.As(err, &op) && op.Err != nil:
		// "dial tcp 127.0.0.11:80: connect: connection refused" becomes
		// "connect: connection refused": the address is the member's.
		var se *os.SyscallError
		if errors.As(op.Err, &se) {
			return prefix + se.Error()
		}
		return prefix + op.Op + ": " + op.Err.Error()
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return prefix + "connection closed before a complete response"
	case errors.Is(err, syscall.ECONNRESET):
		return prefix + "connection reset by peer"
	}
	return err.Error()
}

func clip(s string) string {
	if len(s) > maxReason {
		return s[:maxReason-3] + "..."
	}
	return s
}
