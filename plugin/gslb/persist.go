package gslb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"

	"google.golang.org/protobuf/proto"
)

// The persist file: an 8-byte magic, the CRC-32C of the payload and its
// length (big endian), then the payload, a gslb.v1.Snapshot. A truncated or
// damaged file fails the check instead of restoring part of a table.
var persistMagic = []byte("GSLBTBL1")

const persistHeader = 8 + 4 + 8

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// persistInterval is the least time between two writes: changes that come
// faster are coalesced into the next write.
const persistInterval = time.Second

// persister writes the feed's table to a file after every change, at most
// once per interval, atomically (temporary file, fsync, rename).
type persister struct {
	path     string
	f        *feed
	interval time.Duration
	kick     chan struct{}
	quit     chan struct{}
	done     chan struct{}
}

func newPersister(path string, f *feed) *persister {
	return &persister{
		path:     path,
		f:        f,
		interval: persistInterval,
		kick:     make(chan struct{}, 1),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
	}
}

// changed notes that the table changed; it never blocks.
func (p *persister) changed() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

func (p *persister) run() {
	defer close(p.done)
	var last time.Time
	for {
		select {
		case <-p.kick:
		case <-p.quit:
			p.flush()
			return
		}
		// A change is pending from here on: it is written when the interval
		// has passed, or at once if we are told to stop.
		if wait := p.interval - p.f.now().Sub(last); wait > 0 && !last.IsZero() {
			timer := time.NewTimer(wait)
			select {
			case <-timer.C:
			case <-p.quit:
				timer.Stop()
				p.write()
				return
			}
		}
		p.write()
		last = p.f.now()
	}
}

// flush writes a pending change, if any (at shutdown).
func (p *persister) flush() {
	select {
	case <-p.kick:
		p.write()
	default:
	}
}

func (p *persister) write() {
	s := p.f.snapshot()
	if s == nil {
		return
	}
	if err := writeSnapshot(p.path, s); err != nil {
		log.Errorf("persist: %v", err)
	}
}

func (p *persister) stop() {
	close(p.quit)
	<-p.done
}

// writeSnapshot writes s to path atomically.
func writeSnapshot(path string, s *gslbv1.Snapshot) error {
	payload, err := proto.Marshal(s)
	if err != nil {
		return err
	}
	var hdr [persistHeader]byte
	copy(hdr[:], persistMagic)
	binary.BigEndian.PutUint32(hdr[8:], crc32.Checksum(payload, castagnoli))
	binary.BigEndian.PutUint64(hdr[12:], uint64(len(payload)))

	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if _, err := tmp.Write(hdr[:]); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(payload); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	// Make the rename itself durable.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// readSnapshot reads a persist file. A missing file returns (nil, nil).
func readSnapshot(path string) (*gslbv1.Snapshot, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeSnapshot(b)
}

func decodeSnapshot(b []byte) (*gslbv1.Snapshot, error) {
	if len(b) < persistHeader || !bytes.Equal(b[:8], persistMagic) {
		return nil, errors.New("not a gslb table file (bad magic)")
	}
	sum := binary.BigEndian.Uint32(b[8:])
	n := binary.BigEndian.Uint64(b[12:])
	payload := b[persistHeader:]
	if uint64(len(payload)) != n {
		return nil, fmt.Errorf("truncated: %d payload bytes, header says %d", len(payload), n)
	}
	if crc32.Checksum(payload, castagnoli) != sum {
		return nil, errors.New("checksum mismatch")
	}
	s := &gslbv1.Snapshot{}
	if err := proto.Unmarshal(payload, s); err != nil {
		return nil, err
	}
	return s, nil
}
