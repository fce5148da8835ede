package workflow

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// httpActions implement vela/http.
type httpActions struct{ client *http.Client }

// do sends the request and returns {response: {body, statusCode, header}}.
func (h *httpActions) do(ctx context.Context, in map[string]any) (map[string]any, error) {
	method, _ := in["method"].(string)
	url, _ := in["url"].(string)
	req, _ := in["request"].(map[string]any)
	body, _ := req["body"].(string)
	if t, _ := req["timeout"].(string); t != "" {
		if d, err := time.ParseDuration(t); err == nil {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, d)
			defer cancel()
		}
	}
	r, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("building %s %s: %w", method, url, err)
	}
	if hs, ok := req["header"].(map[string]any); ok {
		for k, v := range hs {
			switch x := v.(type) {
			case []any:
				for _, s := range x {
					r.Header.Add(k, fmt.Sprint(s))
				}
			default:
				r.Header.Set(k, fmt.Sprint(x))
			}
		}
	}
	resp, err := h.client.Do(r)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("reading response of %s %s: %w", method, url, err)
	}
	header := map[string]any{}
	for k, vs := range resp.Header {
		l := make([]any, len(vs))
		for i, v := range vs {
			l[i] = v
		}
		header[k] = l
	}
	return map[string]any{"response": map[string]any{"body": string(b), "statusCode": int64(resp.StatusCode), "header": header}}, nil
}
