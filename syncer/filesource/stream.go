package filesource

// Reading a large members file without holding its whole YAML tree.
//
// The yaml package builds the node tree of a whole document before anyone
// sees it: about 22 bytes of nodes for each byte of a members file (630 MB
// for 100,000 records). So the records are read in slices of the text: the
// records list, written in block style ("records:" alone on its line at
// column 0, then "- " items), is cut at its items' lines (layout), and each
// run of about batchBytes of items is decoded on its own, converted to
// records and dropped. The rest of the file (defaults, sites, drained) is
// decoded as the frame: the file with "records: []" on the key's line and
// the records' lines left empty, so that every line keeps its number. The
// nodes of a batch have their lines moved by the batch's first line, so
// that every message names the same line as when the file is read whole.
//
// A cut can only be wrong inside a quoted scalar or a flow collection,
// which would then be left open at the end of its batch: the batch would
// not decode. So whenever the frame or a batch does not decode exactly as
// the split expects, or the file holds what the line scan does not follow
// (another kind of line break, a tab in the indentation, a very long line),
// the file is read whole instead (parse.go), with the same result and the
// same errors as ever: the split saves memory and changes nothing else.
//
// When a record is wrong, the batches after it are still decoded, for a
// YAML syntax error there: that one wins, as it does when the file is read
// whole.
//
// The Source does not even hold the file's bytes meanwhile: it reads the
// batches back from the file (readback.go).

import (
	"bytes"
	"errors"
	"runtime"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"go.yaml.in/yaml/v3"
)

// batchBytes is about how much of the file is decoded at once.
const batchBytes = 64 << 10

// maxSplitLine is the longest line the split follows: the yaml package
// refuses more than 10,000 levels of indentation, which a batch, decoded
// without its two enclosing levels, could otherwise reach where the whole
// file does not.
const maxSplitLine = 8000

// gcEvery is how much text is read between two collections (collector).
const gcEvery = 512 << 10

// errWhole: the file is not split; read it whole.
var errWhole = errors.New("read the file whole")

// layout is where the records of a block-style file are.
type layout struct {
	keyLine  int // line of "records:" (1-based)
	keyStart int // byte offset of that line
	body     int // byte offset of the line after it
	end      int // byte offset of the first line after the records list
	indent   int // column of the items' "-" (0-based)
	items    []itemAt
}

// itemAt is where a record starts: the byte offset and line of its "-".
type itemAt struct{ off, line int }

// streamed parses the file by batches of records (see above), or returns
// errWhole.
func (p *parser) streamed(data []byte) ([]*gslbv1.Record, error) {
	l, ok := scanLayout(data)
	if !ok {
		return nil, errWhole
	}
	return p.byBatches(&l, l.frame(data), func(off, end int) []byte { return data[off:end] })
}

// byBatches parses a file laid out as l, from its frame and the text of
// its records: text(off, end) returns the bytes of the file in [off, end),
// called once for each batch, in order.
func (p *parser) byBatches(l *layout, frame []byte, text func(off, end int) []byte) ([]*gslbv1.Record, error) {
	root, err := p.document(frame)
	if err != nil || !l.framed(root) {
		return nil, errWhole
	}
	h, err := p.header(root)
	if err == nil {
		err = p.recordCount(len(l.items), &yaml.Node{Line: l.items[0].line})
	}
	if err != nil {
		return nil, l.firstError(text, 0, err)
	}
	b := p.builder(h, len(l.items))
	gc := newCollector()
	defer gc.wait()
	for from := 0; from < len(l.items); {
		to := l.batchEnd(from)
		gc.read(l.start(from))
		seq, ok := l.decode(text, from, to)
		if !ok {
			return nil, errWhole
		}
		for _, n := range seq {
			if err := b.add(n); err != nil {
				return nil, l.firstError(text, to, err)
			}
		}
		from = to
	}
	return b.finish(), nil
}

// firstError returns err, found before the batch of record from, unless a
// batch from there on does not decode: then errWhole, so that the YAML
// syntax error wins as when the file is read whole.
func (l *layout) firstError(text func(off, end int) []byte, from int, err error) error {
	for from < len(l.items) {
		to := l.batchEnd(from)
		if _, ok := l.decode(text, from, to); !ok {
			return errWhole
		}
		from = to
	}
	return err
}

// batchEnd returns the end (exclusive) of the batch of records from.
func (l *layout) batchEnd(from int) int {
	start := l.start(from)
	to := from + 1
	for to < len(l.items) && l.items[to].off-start < batchBytes {
		to++
	}
	return to
}

// start is the byte offset of record i's text; the first one takes the
// lines between "records:" and its "-" too (comments), so that every byte
// of the file is decoded, in the frame or in a batch.
func (l *layout) start(i int) int {
	if i == 0 {
		return l.body
	}
	return l.items[i].off
}

// decode decodes the text of records [from, to) alone, and returns their
// nodes, lines moved to those of the file; ok is false when the text is not
// exactly a block list of those records at their column.
func (l *layout) decode(text func(off, end int) []byte, from, to int) (items []*yaml.Node, ok bool) {
	end := l.end
	if to < len(l.items) {
		end = l.items[to].off
	}
	firstLine := l.keyLine + 1
	if from > 0 {
		firstLine = l.items[from].line
	}
	defer func() {
		if recover() != nil {
			items, ok = nil, false
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(text(l.start(from), end), &doc); err != nil || len(doc.Content) != 1 {
		return nil, false
	}
	seq := doc.Content[0]
	if seq.Kind != yaml.SequenceNode || seq.Style&yaml.FlowStyle != 0 || seq.Column != l.indent+1 || len(seq.Content) != to-from {
		return nil, false
	}
	moveLines(seq, firstLine-1)
	return seq.Content, true
}

// moveLines adds delta to the line of n and of the nodes under it.
func moveLines(n *yaml.Node, delta int) {
	n.Line += delta
	for _, c := range n.Content {
		moveLines(c, delta)
	}
}

// frame returns the file with "records: []" for the records.
func (l *layout) frame(data []byte) []byte {
	section := data[l.keyStart:l.end]
	out := make([]byte, 0, l.keyStart+len("records: []")+bytes.Count(section, []byte{'\n'})+len(data)-l.end)
	out = append(out, data[:l.keyStart]...)
	out = append(out, "records: []"...)
	for range bytes.Count(section, []byte{'\n'}) {
		out = append(out, '\n')
	}
	return append(out, data[l.end:]...)
}

// framed reports whether the frame's root holds the records key where the
// scan found it: a key of the root mapping, and not, say, a line inside a
// quoted string.
func (l *layout) framed(root *yaml.Node) bool {
	if root.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Value == "records" {
			return k.Line == l.keyLine && k.Column == 1 && k.Style == 0 &&
				v.Kind == yaml.SequenceNode && v.Style&yaml.FlowStyle != 0 && v.Line == l.keyLine && len(v.Content) == 0
		}
	}
	return false
}

// collector keeps the heap of a large parse near what it holds: each batch
// of 64 KB of text leaves about 3 MB of garbage (the yaml nodes, mostly),
// and the runtime would let it pile up to as much as the table read so far
// (GOGC=100) before collecting: twice the table at the end. So every
// gcEvery bytes of text (about 25 MB of garbage) a collection is started
// in the background; the parse goes on meanwhile.
type collector struct {
	next int           // the text offset that starts the next collection
	idle chan struct{} // holds a token when no collection is running
}

func newCollector() *collector {
	c := &collector{next: gcEvery, idle: make(chan struct{}, 1)}
	c.idle <- struct{}{}
	return c
}

// read notes that the parse reached offset off of the text. A collection
// still running when the next one is due is waited for: on a busy machine
// its marking can be slow, and the garbage must not pile up meanwhile.
func (c *collector) read(off int) {
	if off < c.next {
		return
	}
	<-c.idle
	c.next = off + gcEvery
	go func() {
		runtime.GC()
		c.idle <- struct{}{}
	}()
}

// wait waits for the running collection, if any.
func (c *collector) wait() {
	<-c.idle
	c.idle <- struct{}{}
}

// collectFile starts a collection in the background once the bytes of a
// large file (size bytes) are garbage, after its parse: otherwise they
// would count in the heap until it doubles, through the push that follows.
func collectFile(size int) {
	if size >= gcEvery {
		go runtime.GC()
	}
}
