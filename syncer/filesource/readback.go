package filesource

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"hash"
	"io"
	"os"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
)

// parseFile is Parse for the Source: data is the content of the
// file at path, sum its hash. A large file read by batches (stream.go) has
// its records read back from the file, batch by batch, rather than from
// data, which the caller drops: the parse then does not hold the file's
// bytes (29 MB for 100,000 records) besides the table it builds. What is
// read back is hashed; errChanging when it is not data any more (the file
// changed meanwhile: the caller reads it again).
func parseFile(path string, data []byte, sum [sha256.Size]byte) ([]*gslbv1.Record, error) {
	l, ok := scanLayout(data)
	if !ok || len(data) < gcEvery {
		return Parse(path, data)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, errChanging // gone since it was read: read it again
	}
	defer f.Close()
	r := &readBack{f: f, sum: sum, size: len(data), next: l.body, h: sha256.New()}
	r.h.Write(data[:l.body])
	frame, tail := l.frame(data), bytes.Clone(data[l.end:])
	data = nil // from here on, only the file
	p := newParser(path)
	recs, err := p.byBatches(&l, frame, r.text)
	if r.err == nil && r.next == l.end && !errors.Is(err, errWhole) {
		r.h.Write(tail)
		if [sha256.Size]byte(r.h.Sum(nil)) != sum {
			return nil, errChanging
		}
		return recs, err
	}
	all, err := r.whole()
	if err != nil {
		return nil, err
	}
	return p.whole(all)
}

// readBack reads a file's records back by batches, in order, hashing them.
type readBack struct {
	f    io.ReaderAt
	sum  [sha256.Size]byte // of the file as first read
	size int
	next int // the offset the next batch must start at
	h    hash.Hash
	buf  []byte
	err  error // the first read error, or a batch out of order
}

// text returns the bytes in [off, end), valid until the next call.
func (r *readBack) text(off, end int) []byte {
	if r.err != nil {
		return nil
	}
	if off != r.next {
		r.err = errors.New("batches out of order")
		return nil
	}
	if cap(r.buf) < end-off {
		r.buf = make([]byte, end-off)
	}
	b := r.buf[:end-off]
	if _, err := r.f.ReadAt(b, int64(off)); err != nil {
		r.err = err
		return nil
	}
	r.h.Write(b)
	r.next = end
	return b
}

// whole reads the whole file back: errChanging unless it is still what
// was first read.
func (r *readBack) whole() ([]byte, error) {
	all := make([]byte, r.size)
	if _, err := r.f.ReadAt(all, 0); err != nil || sha256.Sum256(all) != r.sum {
		return nil, errChanging
	}
	return all, nil
}
