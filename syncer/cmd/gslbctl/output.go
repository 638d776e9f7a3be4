package main

import (
	"encoding/json"
	"fmt"
	"io"
)

// checkFormat refuses an -o value other than text or json, naming the
// command.
func checkFormat(cmd, format string) error {
	if format != "text" && format != "json" {
		return fmt.Errorf("%s: -o %q: want text or json", cmd, format)
	}
	return nil
}

// writeOutput writes v as indented JSON when format is json, else with
// text (a table).
func writeOutput(out io.Writer, format string, v any, text func(io.Writer) error) error {
	if format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	return text(out)
}
