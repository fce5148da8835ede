package cue

import (
	"encoding/base64"
	"fmt"
	"strings"

	"cuelang.org/go/cue"
	k8sjson "k8s.io/apimachinery/pkg/util/json"
)

// maxDecodeErrors caps how many incomplete fields one decode reports.
const maxDecodeErrors = 8

// Tags are the KubeVela patch annotations found on one field:
// `// +patchKey=name[,image]` and `// +patchStrategy=retainKeys|replace|jsonMergePatch|jsonPatch`.
type Tags struct {
	PatchKey      string
	PatchStrategy string
}

// decoder turns CUE values into plain Go values (map[string]any, []any, string,
// int64, float64, bool, nil), collecting errors with their field paths and,
// when tags is non-nil, the patch annotations by shape path (list items as "[]").
type decoder struct {
	errs *Error
	tags map[string]Tags
}

func newDecoder(withTags bool) *decoder {
	d := &decoder{errs: &Error{}}
	if withTags {
		d.tags = map[string]Tags{}
	}
	return d
}

func (d *decoder) err() error {
	if len(d.errs.Errs) == 0 {
		return nil
	}
	return d.errs
}

func (d *decoder) fail(path string, fe error) {
	if len(d.errs.Errs) >= maxDecodeErrors {
		return
	}
	if e, ok := flatten(fe).(*Error); ok {
		for _, x := range e.Errs {
			if x.Path == "" {
				x.Path = path
			}
			d.errs.Errs = append(d.errs.Errs, x)
		}
		return
	}
	d.errs.Errs = append(d.errs.Errs, FieldError{Path: path, Msg: fe.Error()})
}

// Decode turns v into plain Go data (map[string]any, []any, string, int64, float64, bool,
// nil); incomplete or failing fields are reported with their paths under path.
func Decode(v cue.Value, path string) (any, error) {
	d := newDecoder(false)
	out := d.fast(v, path)
	return out, d.err()
}

// fast converts v through CUE's JSON encoder, several times quicker than
// walking fields; on failure it walks v to report every problem with its path.
func (d *decoder) fast(v cue.Value, path string) any {
	if b, err := v.MarshalJSON(); err == nil {
		var out any
		if err := k8sjson.Unmarshal(b, &out); err == nil {
			return out
		}
	}
	return d.decode(v, path, "")
}

// decode converts v; path is the display path, shape the tag key path.
func (d *decoder) decode(v cue.Value, path, shape string) any {
	if def, ok := v.Default(); ok {
		v = def
	}
	switch v.Kind() {
	case cue.StructKind:
		return d.decodeStruct(v, path, shape)
	case cue.ListKind:
		return d.decodeList(v, path, shape)
	case cue.StringKind:
		s, _ := v.String()
		return s
	case cue.IntKind:
		if i, err := v.Int64(); err == nil {
			return i
		}
		f, _ := v.Float64()
		return f
	case cue.FloatKind:
		f, _ := v.Float64()
		return f
	case cue.BoolKind:
		b, _ := v.Bool()
		return b
	case cue.NullKind:
		return nil
	case cue.BytesKind:
		b, _ := v.Bytes()
		return string(b)
	}
	if err := v.Err(); err != nil && !strings.Contains(err.Error(), "incomplete") {
		d.fail(path, err)
		return nil
	}
	d.errs.Errs = appendCapped(d.errs.Errs, FieldError{Path: path, Msg: "incomplete value " + short(v) + " (a concrete value is required)"})
	return nil
}

func (d *decoder) decodeStruct(v cue.Value, path, shape string) map[string]any {
	it, err := v.Fields()
	if err != nil {
		d.fail(path, err)
		return nil
	}
	out := map[string]any{}
	for it.Next() {
		name := it.Selector().Unquoted()
		fv := it.Value()
		fpath, fshape := joinPath(path, name), joinPath(shape, name)
		if d.tags != nil {
			d.readTags(fv, fshape)
		}
		out[name] = d.decode(fv, fpath, fshape)
	}
	return out
}

func (d *decoder) decodeList(v cue.Value, path, shape string) []any {
	it, err := v.List()
	if err != nil {
		d.fail(path, err)
		return nil
	}
	out := []any{}
	for i := 0; it.Next(); i++ {
		out = append(out, d.decode(it.Value(), indexPath(path, i), shape+"[]"))
	}
	return out
}

// readTags records +patchKey/+patchStrategy comments attached to a field.
func (d *decoder) readTags(v cue.Value, shape string) {
	t := parseTags(v)
	if t != (Tags{}) {
		d.tags[shape] = t
	}
}

func parseTags(v cue.Value) Tags { return commentTags(v.Doc()) }

func appendCapped(errs []FieldError, fe FieldError) []FieldError {
	if len(errs) >= maxDecodeErrors {
		return errs
	}
	return append(errs, fe)
}

// short prints a value's CUE form on one line, truncated.
func short(v cue.Value) string {
	s := strings.Join(strings.Fields(fmt.Sprint(v)), " ")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

// decodeSoft decodes v like decode and records in soft the leaves (by path
// below v, shape "spec.replicas", "spec.template.spec.containers[0].name")
// whose value is the default of a disjunction (`*1 | int`) rather than a plain
// value: one walk instead of an encode plus a second walk for the defaults.
// Bytes are base64, as in JSON.
func (d *decoder) decodeSoft(v cue.Value, path, rel string, soft map[string]bool) any {
	switch v.IncompleteKind() {
	case cue.StructKind:
		it, err := v.Fields()
		if err != nil {
			d.fail(path, err)
			return nil
		}
		out := map[string]any{}
		for it.Next() {
			name := it.Selector().Unquoted()
			out[name] = d.decodeSoft(it.Value(), joinPath(path, name), joinPath(rel, name), soft)
		}
		return out
	case cue.ListKind:
		if def, ok := v.Default(); ok {
			v = def
		}
		it, err := v.List()
		if err != nil {
			d.fail(path, err)
			return nil
		}
		out := []any{}
		for i := 0; it.Next(); i++ {
			out = append(out, d.decodeSoft(it.Value(), indexPath(path, i), indexPath(rel, i), soft))
		}
		return out
	}
	if def, ok := v.Default(); ok {
		soft[rel] = true
		v = def
	}
	if v.Kind() == cue.BytesKind {
		b, _ := v.Bytes()
		return base64.StdEncoding.EncodeToString(b)
	}
	return d.decode(v, path, "")
}
