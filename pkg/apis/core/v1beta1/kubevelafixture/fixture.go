// Package kubevelafixture packs and unpacks spec.compression payloads the way KubeVela
// does (JSON compressed with gzip or zstd, then standard base64), with the compression
// libraries directly rather than velad's own code, for tests that check velad against
// KubeVela's format.
package kubevelafixture

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
)

// Pack compresses raw with typ ("gzip" or "zstd") and encodes it in standard base64.
func Pack(typ string, raw []byte) (string, error) {
	var out []byte
	switch typ {
	case "gzip":
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		if _, err := zw.Write(raw); err != nil {
			return "", err
		}
		if err := zw.Close(); err != nil {
			return "", err
		}
		out = b.Bytes()
	case "zstd":
		enc, err := zstd.NewWriter(nil)
		if err != nil {
			return "", err
		}
		out = enc.EncodeAll(raw, nil)
	default:
		return "", fmt.Errorf("no packer for %q", typ)
	}
	return base64.StdEncoding.EncodeToString(out), nil
}

// Unpack reverses Pack.
func Unpack(typ, data string) ([]byte, error) {
	packed, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return nil, err
	}
	switch typ {
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(packed))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(zr)
	case "zstd":
		dec, err := zstd.NewReader(nil)
		if err != nil {
			return nil, err
		}
		defer dec.Close()
		return dec.DecodeAll(packed, nil)
	}
	return nil, fmt.Errorf("no unpacker for %q", typ)
}
