package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gslbdns/gslb/syncer/gslbctl"
)

// convert runs "gslbctl convert amko [FILES|DIR|-] [--strict] [-o DIR]".
func convert(args []string, stdin io.Reader, out, errOut io.Writer) (int, error) {
	if len(args) == 0 || args[0] != "amko" {
		return 2, errors.New("convert: the only source is amko: gslbctl convert amko [FILES|DIR|-] [--strict] [-o DIR]")
	}
	fs := flag.NewFlagSet("convert amko", flag.ContinueOnError)
	strict := fs.Bool("strict", false, "exit 1 when a field could not be mapped")
	dir := fs.String("o", "", "write gslb.yaml, values.yaml and source.txt into this directory (default: the objects on stdout)")
	var opts gslbctl.AMKOWriteOptions
	fs.StringVar(&opts.Kubeconfig, "kubeconfig", "/etc/gslb/members/kubeconfig", "the members kubeconfig's path in --source")
	fs.StringVar(&opts.ConfigContext, "config-context", "", "the context of the cluster holding the policies (AMKO's leader cluster)")
	paths, err := parseAll(fs, args[1:])
	if err != nil {
		return 2, err
	}
	objs, err := gslbctl.ReadAMKOPaths(paths, stdin)
	if err != nil {
		return 1, err
	}
	c := gslbctl.ConvertAMKO(objs)
	w, err := gslbctl.WriteAMKO(c, opts)
	if err != nil {
		return 1, err
	}
	if err := emit(w, *dir, out); err != nil {
		return 1, err
	}
	fmt.Fprint(errOut, w.Report)
	if *strict && len(c.Notes) > 0 {
		return 1, fmt.Errorf("--strict: %d field(s) not mapped", len(c.Notes))
	}
	return 0, nil
}

// parseAll parses flags mixed with any number of positional arguments.
func parseAll(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos, args = append(pos, args[0]), args[1:]
	}
}

func emit(w gslbctl.AMKOOutput, dir string, out io.Writer) error {
	if dir == "" {
		_, err := fmt.Fprintf(out, "%s# gslb-syncer --source '%s'\n", w.Objects, w.Source)
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, text := range map[string]string{"gslb.yaml": w.Objects, "values.yaml": w.Values, "source.txt": w.Source + "\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(out, "wrote %s, %s and %s\n", filepath.Join(dir, "gslb.yaml"), filepath.Join(dir, "values.yaml"), filepath.Join(dir, "source.txt"))
	return err
}
