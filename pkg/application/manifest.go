package application

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sjson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/apis/oam"
	"velad.io/velad/pkg/appfile"
)

// DefaultDefinitionNamespace is where definitions without a namespace are applied.
const DefaultDefinitionNamespace = appfile.SystemNamespace

// SyntaxError is a YAML or JSON error at a line of a manifest file.
type SyntaxError struct {
	// File is the manifest's name as given.
	File string
	// Line is the 1-based line in File, 0 when unknown.
	Line int
	// Msg is the parser's message without its own line prefix.
	Msg string
}

// Error reads `app.yaml:7: mapping values are not allowed in this context`.
func (e *SyntaxError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// ReadManifests reads the objects of a (multi-document) YAML or JSON file.
func ReadManifests(path string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return DecodeManifests(path, data)
}

// DecodeManifests splits data (named file in errors) into its non-empty documents and
// decodes each; errors carry the file and the line in the whole file.
func DecodeManifests(file string, data []byte) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	for _, doc := range splitDocuments(data) {
		if len(bytes.TrimSpace(stripComments(doc.text))) == 0 {
			continue
		}
		js, err := yaml.YAMLToJSON(doc.text)
		if err != nil {
			return nil, syntaxError(file, doc.line, err)
		}
		var m map[string]any
		if err := k8sjson.Unmarshal(js, &m); err != nil {
			return nil, &SyntaxError{File: file, Line: doc.line, Msg: "document is not an object: " + err.Error()}
		}
		if len(m) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: m}
		if u.GetKind() == "" || u.GetAPIVersion() == "" {
			return nil, &SyntaxError{File: file, Line: doc.line, Msg: "document has no apiVersion or kind"}
		}
		if u.GetName() == "" {
			return nil, &SyntaxError{File: file, Line: doc.line, Msg: fmt.Sprintf("%s has no metadata.name", u.GetKind())}
		}
		out = append(out, u)
	}
	if len(out) == 0 {
		return nil, &SyntaxError{File: file, Msg: "no objects found"}
	}
	return out, nil
}

type document struct {
	text []byte
	line int // 1-based line of the document's first line in the file
}

// splitDocuments splits a YAML stream at `---` separator lines, remembering where each
// document starts.
func splitDocuments(data []byte) []document {
	var docs []document
	cur := document{line: 1}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), len(data)+1)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if strings.HasPrefix(line, "---") && strings.TrimSpace(strings.TrimPrefix(line, "---")) == "" {
			docs = append(docs, cur)
			cur = document{line: n + 1}
			continue
		}
		cur.text = append(cur.text, line...)
		cur.text = append(cur.text, '\n')
	}
	return append(docs, cur)
}

func stripComments(b []byte) []byte {
	var out []byte
	for _, l := range bytes.Split(b, []byte("\n")) {
		if t := bytes.TrimSpace(l); len(t) > 0 && t[0] != '#' {
			out = append(out, l...)
		}
	}
	return out
}

var yamlLine = regexp.MustCompile(`^(?:error converting YAML to JSON: )?yaml: line (\d+): (.*)$`)

// syntaxError turns a YAML parser error, whose line counts from the document start, into
// a SyntaxError with the line in the file.
func syntaxError(file string, start int, err error) error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return &SyntaxError{File: file, Line: start + n - 1, Msg: m[2]}
	}
	msg = strings.TrimPrefix(msg, "error converting YAML to JSON: ")
	return &SyntaxError{File: file, Line: start, Msg: msg}
}

// ApplyOptions say where objects without a namespace go.
type ApplyOptions struct {
	// Namespace is used for Applications without metadata.namespace ("default" when
	// empty).
	Namespace string
	// Enforce refuses Applications that name a namespace other than Namespace (the user
	// chose one explicitly).
	Enforce bool
}

// Applied is one object written by Apply.
type Applied struct {
	// Kind of the object.
	Kind string
	// Namespace of the object.
	Namespace string
	// Name of the object.
	Name string
	// Generation after the apply; waiting on an Application compares it with
	// status.observedGeneration.
	Generation int64
	// PublishVersion is the Application's app.oam.dev/publishVersion after the apply; when
	// set, a wait also wants the workflow to run that version (status.workflow.appRevision).
	PublishVersion string
}

// Apply server-side applies objs (Applications and X-Definitions) with the vela-cli field
// manager, definitions first so the Applications that use them find them.
func Apply(ctx context.Context, c client.Client, objs []*unstructured.Unstructured, opts ApplyOptions) ([]Applied, error) {
	ordered, err := orderForApply(objs)
	if err != nil {
		return nil, err
	}
	var out []Applied
	for _, o := range ordered {
		if err := placeNamespace(o, opts); err != nil {
			return out, err
		}
		obj := o.DeepCopy()
		unstructured.RemoveNestedField(obj.Object, "status")
		obj.SetResourceVersion("")
		obj.SetManagedFields(nil)
		if err := c.Patch(ctx, obj, client.Apply, client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
			if apierrors.IsNotFound(err) {
				return out, fmt.Errorf("applying %s %s/%s: namespace %q does not exist: create it with kubectl create namespace %s",
					o.GetKind(), o.GetNamespace(), o.GetName(), o.GetNamespace(), o.GetNamespace())
			}
			return out, fmt.Errorf("applying %s %s/%s: %w", o.GetKind(), o.GetNamespace(), o.GetName(), noKindHint(err))
		}
		out = append(out, Applied{Kind: obj.GetKind(), Namespace: obj.GetNamespace(), Name: obj.GetName(),
			Generation: obj.GetGeneration(), PublishVersion: obj.GetAnnotations()[oam.AnnotationPublishVersion]})
	}
	return out, nil
}

func orderForApply(objs []*unstructured.Unstructured) ([]*unstructured.Unstructured, error) {
	var defs, apps []*unstructured.Unstructured
	for _, o := range objs {
		gv := o.GroupVersionKind().Group
		switch {
		case gv == v1beta1.Group && appfile.IsDefinitionKind(o.GetKind()):
			defs = append(defs, o)
		case gv == v1beta1.Group && o.GetKind() == v1beta1.ApplicationKind:
			apps = append(apps, o)
		default:
			return nil, fmt.Errorf("%s %q: vela up applies Applications and X-Definitions only; use kubectl apply for other kinds", o.GetKind(), o.GetName())
		}
	}
	return append(defs, apps...), nil
}

func placeNamespace(o *unstructured.Unstructured, opts ApplyOptions) error {
	if appfile.IsDefinitionKind(o.GetKind()) {
		if o.GetNamespace() == "" {
			o.SetNamespace(DefaultDefinitionNamespace)
		}
		return nil
	}
	ns := opts.Namespace
	if ns == "" {
		ns = "default"
	}
	switch {
	case o.GetNamespace() == "":
		o.SetNamespace(ns)
	case o.GetNamespace() != ns && opts.Enforce:
		return fmt.Errorf("%s %q is in namespace %q but -n says %q: remove one of them", o.GetKind(), o.GetName(), o.GetNamespace(), ns)
	}
	return nil
}
