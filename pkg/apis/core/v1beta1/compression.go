package v1beta1

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	utiljson "k8s.io/apimachinery/pkg/util/json"
)

// Compression types of CompressedText, as KubeVela names them.
const (
	// CompressionNone stores the fields as they are.
	CompressionNone = ""
	// CompressionGzip stores them gzip-compressed.
	CompressionGzip = "gzip"
	// CompressionZstd stores them zstd-compressed.
	CompressionZstd = "zstd"
)

// maxDecompressed bounds what a compressed payload may expand to: far beyond any object
// the API server stores (~3 MiB), so corrupt or hostile data cannot exhaust memory.
const maxDecompressed = 64 << 20

// ValidCompression reports whether t is a compression type velad reads and writes.
func ValidCompression(t string) bool {
	return t == CompressionNone || t == CompressionGzip || t == CompressionZstd
}

// CompressionError says which payload of which object could not be decoded, and why.
//
// +kubebuilder:object:generate=false
type CompressionError struct {
	// Kind, Namespace and Name identify the object, once known.
	Kind, Namespace, Name string
	// Type is the compression type the object declares.
	Type string
	// Err is what went wrong.
	Err error
}

// Error names the object, the compression type and the fault.
func (e *CompressionError) Error() string {
	obj := e.Kind
	if e.Name != "" {
		obj += " " + e.Name
		if e.Namespace != "" {
			obj += " in namespace " + e.Namespace
		}
	}
	return fmt.Sprintf("%s: spec.compression (type %q): %v", obj, e.Type, e.Err)
}

// Unwrap is the fault.
func (e *CompressionError) Unwrap() error { return e.Err }

// zstd coders are built on first use: a velad that never meets compressed objects never
// allocates their state. EncodeAll and DecodeAll may be called concurrently.
var (
	zstdEncoder = sync.OnceValue(func() *zstd.Encoder {
		e, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithLowerEncoderMem(true))
		return e
	})
	zstdDecoder = sync.OnceValue(func() *zstd.Decoder {
		d, _ := zstd.NewReader(nil, zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxMemory(maxDecompressed))
		return d
	})
)

// encodeFrom sets Data to the base64 (standard, padded) of the JSON of v compressed with
// Type, as KubeVela's CompressedText.EncodeFrom does.
func (c *CompressedText) encodeFrom(v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var out []byte
	switch c.Type {
	case CompressionZstd:
		out = zstdEncoder().EncodeAll(raw, make([]byte, 0, len(raw)/4))
	case CompressionGzip:
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write(raw); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		out = buf.Bytes()
	default:
		return fmt.Errorf("unsupported compression type %q (want %q or %q)", c.Type, CompressionZstd, CompressionGzip)
	}
	c.Data = base64.StdEncoding.EncodeToString(out)
	return nil
}

// DecodeTo unmarshals the decompressed Data into v (a pointer); Type must be zstd or gzip.
func (c *CompressedText) DecodeTo(v any) error {
	if c.Data == "" {
		return errors.New("no data")
	}
	packed, err := base64.StdEncoding.DecodeString(c.Data)
	if err != nil {
		return fmt.Errorf("data is not standard base64: %w", err)
	}
	var raw []byte
	switch c.Type {
	case CompressionZstd:
		if raw, err = zstdDecoder().DecodeAll(packed, nil); err != nil {
			return fmt.Errorf("data is not valid zstd: %w", err)
		}
	case CompressionGzip:
		zr, err := gzip.NewReader(bytes.NewReader(packed))
		if err != nil {
			return fmt.Errorf("data is not valid gzip: %w", err)
		}
		if raw, err = io.ReadAll(io.LimitReader(zr, maxDecompressed+1)); err != nil {
			return fmt.Errorf("data is not valid gzip: %w", err)
		}
		if len(raw) > maxDecompressed {
			return fmt.Errorf("data expands beyond %d MiB", maxDecompressed>>20)
		}
	default:
		return fmt.Errorf("unsupported compression type (want %q or %q)", CompressionZstd, CompressionGzip)
	}
	if err := utiljson.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decompressed data is not the expected JSON: %w", err)
	}
	return nil
}

// compressedSpec marshals spec (a value of a plain alias type, without MarshalJSON) with
// fields stored in c instead of in their own place: fields is what gets compressed and
// clear empties them in spec (leaving what the CRD still requires).
func compressedSpec[S any](spec S, c *CompressedText, fields any, clear func(*S)) ([]byte, error) {
	if err := c.encodeFrom(fields); err != nil {
		return nil, err
	}
	clear(&spec)
	return json.Marshal(spec)
}

// decompressInto replaces *fields with what c holds when c is compressed, and keeps only
// c's Type (as KubeVela does: a read object written back is compressed again).
func decompressInto[T any](c *CompressedText, fields *T, kind string) error {
	if c.Type == CompressionNone {
		return nil
	}
	var fresh T
	if err := c.DecodeTo(&fresh); err != nil {
		return &CompressionError{Kind: kind, Type: c.Type, Err: err}
	}
	*fields, c.Data = fresh, ""
	return nil
}

// nameCompressionError adds the object's name to a CompressionError met while unmarshalling
// data; other errors are returned as they are.
func nameCompressionError(err error, data []byte) error {
	var ce *CompressionError
	if !errors.As(err, &ce) {
		return err
	}
	var head struct {
		Metadata struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
	}
	_ = json.Unmarshal(data, &head)
	ce.Name, ce.Namespace = head.Metadata.Name, head.Metadata.Namespace
	return err
}

// MarshalJSON writes the snapshot compressed into spec.compression when Compression.Type
// is set (KubeVela's format: the compressible fields, JSON, compressed, standard base64;
// application is left as an empty placeholder because the CRD requires it).
func (in ApplicationRevisionSpec) MarshalJSON() ([]byte, error) {
	type plain ApplicationRevisionSpec
	if in.Compression.Type == CompressionNone {
		return json.Marshal(plain(in))
	}
	c := CompressedText{Type: in.Compression.Type}
	return compressedSpec(plain(in), &c, in.ApplicationRevisionCompressibleFields, func(p *plain) {
		p.ApplicationRevisionCompressibleFields = ApplicationRevisionCompressibleFields{
			Application: Application{Spec: ApplicationSpec{Components: []ApplicationComponent{}}},
		}
		p.Compression = c
	})
}

// UnmarshalJSON reads a snapshot stored compressed or not; after it the fields are set and
// Compression keeps only its Type.
func (in *ApplicationRevisionSpec) UnmarshalJSON(data []byte) error {
	type plain ApplicationRevisionSpec
	var p plain
	err := utiljson.Unmarshal(data, &p)
	if err == nil {
		err = decompressInto(&p.Compression, &p.ApplicationRevisionCompressibleFields, ApplicationRevisionKind)
	}
	*in = ApplicationRevisionSpec(p)
	return err
}

// UnmarshalJSON is the default decoding, with the revision's name in a decompression error.
func (in *ApplicationRevision) UnmarshalJSON(data []byte) error {
	type plain ApplicationRevision
	return nameCompressionError(utiljson.Unmarshal(data, (*plain)(in)), data)
}

// MarshalJSON writes ManagedResources compressed into spec.compression when
// Compression.Type is set (KubeVela's format).
func (in ResourceTrackerSpec) MarshalJSON() ([]byte, error) {
	type plain ResourceTrackerSpec
	if in.Compression.Type == CompressionNone {
		return json.Marshal(plain(in))
	}
	c := CompressedText{Type: in.Compression.Type}
	return compressedSpec(plain(in), &c, in.ManagedResources, func(p *plain) {
		p.ManagedResources = nil
		p.Compression = c
	})
}

// UnmarshalJSON reads ManagedResources stored compressed or not; after it they are set and
// Compression keeps only its Type.
func (in *ResourceTrackerSpec) UnmarshalJSON(data []byte) error {
	type plain ResourceTrackerSpec
	var p plain
	err := utiljson.Unmarshal(data, &p)
	if err == nil {
		err = decompressInto(&p.Compression, &p.ManagedResources, ResourceTrackerKind)
	}
	*in = ResourceTrackerSpec(p)
	return err
}

// UnmarshalJSON is the default decoding, with the tracker's name in a decompression error.
func (in *ResourceTracker) UnmarshalJSON(data []byte) error {
	type plain ResourceTracker
	return nameCompressionError(utiljson.Unmarshal(data, (*plain)(in)), data)
}
