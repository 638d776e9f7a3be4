package filesource

import "bytes"

// scanLayout finds, line by line, the records list of a file written in
// block style (stream.go):
//
//	records:            # at column 0, alone on its line (a comment may follow)
//	  - fqdn: ...       # each record starts with "- " at the same column
//	    members: ...    # its lines are more indented (or blank, or comments)
//	other: ...          # the list ends at the next line at column 0, or at the end
//
// ok is false for anything else (a flow list, no records, a line between
// column 0 and the items' column), and for files whose lines the scan could
// miscount: YAML's other line breaks (a lone CR, NEL, LS, PS), a byte order
// mark, a tab in the indentation, a line longer than maxSplitLine.
func scanLayout(data []byte) (l layout, ok bool) {
	if !plainLines(data) {
		return l, false
	}
	l.indent = -1
	inList := false
	line := 0
	for off := 0; off < len(data); {
		line++
		next := len(data)
		if i := bytes.IndexByte(data[off:], '\n'); i >= 0 {
			next = off + i + 1
		}
		text := bytes.TrimRight(data[off:next], "\r\n")
		switch {
		case !inList:
			if isRecordsKey(text) {
				l.keyLine, l.keyStart, l.body, inList = line, off, next, true
			}
		case len(text) > maxSplitLine:
			return l, false
		default:
			item, end, ok := l.classify(text)
			switch {
			case !ok:
				return l, false
			case end:
				l.end = off
				return l, len(l.items) > 0
			case item:
				l.items = append(l.items, itemAt{off: off, line: line})
			}
		}
		off = next
	}
	l.end = len(data)
	return l, inList && len(l.items) > 0
}

// classify places one line of the records list: the start of a record
// (setting the items' column with the first one), the first line after the
// list, or a line of the current record (or a blank or comment line).
func (l *layout) classify(text []byte) (item, end, ok bool) {
	indent := 0
	for indent < len(text) && text[indent] == ' ' {
		indent++
	}
	rest := text[indent:]
	switch {
	case len(rest) == 0 || rest[0] == '#':
		return false, false, true
	case rest[0] == '\t':
		return false, false, false
	}
	dash := rest[0] == '-' && (len(rest) == 1 || rest[1] == ' ')
	switch {
	case l.indent < 0:
		// The first line of the list must start a record.
		l.indent = indent
		return true, false, dash
	case indent == l.indent && dash:
		return true, false, true
	case indent == 0:
		return false, true, true
	default:
		return false, false, indent > l.indent
	}
}

// isRecordsKey reports whether a line is "records:" at column 0, alone or
// with a comment.
func isRecordsKey(text []byte) bool {
	rest, ok := bytes.CutPrefix(text, []byte("records:"))
	if !ok {
		return false
	}
	if len(rest) == 0 {
		return true
	}
	if rest[0] != ' ' {
		return false
	}
	rest = bytes.TrimLeft(rest, " ")
	return len(rest) == 0 || rest[0] == '#'
}

// plainLines reports whether every line break of data is a LF (or CR LF),
// and data has no byte order mark: the line numbers the scan counts are then
// the yaml package's.
func plainLines(data []byte) bool {
	for _, b := range [][]byte{{0xc2, 0x85}, {0xe2, 0x80, 0xa8}, {0xe2, 0x80, 0xa9}, {0xef, 0xbb, 0xbf}} {
		if bytes.Contains(data, b) {
			return false
		}
	}
	for i := bytes.IndexByte(data, '\r'); i >= 0; {
		if i+1 >= len(data) || data[i+1] != '\n' {
			return false
		}
		j := bytes.IndexByte(data[i+1:], '\r')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return true
}
