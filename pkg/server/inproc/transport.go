// Package inproc serves the requests of the in-process clients of the embedded kube-apiserver
// by calling its handler chain directly, without TLS, HTTP/2 or a socket in between.
package inproc

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"k8s.io/client-go/rest"
	certutil "k8s.io/client-go/util/cert"
)

// DisableEnv names the environment variable that, set to "false" or "0", makes the in-process
// components reach the API server over its TLS listener as external clients do.
const DisableEnv = "VELAD_INPROC_TRANSPORT"

// Enabled reports whether the in-process transport is to be used (DisableEnv not set to off).
func Enabled() bool {
	v, err := strconv.ParseBool(os.Getenv(DisableEnv))
	return err != nil || v
}

// Handler holds the API server's handler chain once it is built. The zero value serves
// nothing until Set.
type Handler struct {
	h atomic.Pointer[http.Handler]
}

// Set makes h (the API server's full handler chain) serve requests; nil stops serving.
func (l *Handler) Set(h http.Handler) {
	if h == nil {
		l.h.Store(nil)
		return
	}
	l.h.Store(&h)
}

func (l *Handler) get() http.Handler {
	if p := l.h.Load(); p != nil {
		return *p
	}
	return nil
}

// Configure makes cfg reach the API server through l once l serves: its client certificate
// (if any) is presented as the request's TLS peer certificate, which the API server's x509
// authenticator verifies against its client CA as for a TLS client; bearer tokens and
// impersonation stay headers. The transport replaces the innermost round tripper client-go
// builds from cfg (WrapTransport), so the TLS settings stay in cfg: requests made while l does
// not serve and connection upgrades (exec, attach, port-forward) go over the network, and so do
// the clients built from AnonymousClientConfig(cfg) (service-account credentials).
func (l *Handler) Configure(cfg *rest.Config) error {
	var peer []*x509.Certificate
	certPEM := cfg.CertData
	if len(certPEM) == 0 && cfg.CertFile != "" {
		b, err := os.ReadFile(cfg.CertFile)
		if err != nil {
			return fmt.Errorf("in-process transport: %w", err)
		}
		certPEM = b
	}
	if len(certPEM) != 0 {
		certs, err := certutil.ParseCertsPEM(certPEM)
		if err != nil {
			return fmt.Errorf("in-process transport: client certificate: %w", err)
		}
		peer = certs
	}
	prev := cfg.WrapTransport
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		var t http.RoundTripper = &Transport{handler: l, peer: peer, network: rt}
		if prev != nil {
			t = prev(t)
		}
		return t
	}
	return nil
}

// Transport is an http.RoundTripper that serves each request by calling the API server's
// handler in the calling process.
type Transport struct {
	handler *Handler
	peer    []*x509.Certificate
	network http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	h := t.handler.get()
	if h == nil || isUpgrade(req) {
		return t.network.RoundTrip(req)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stop := context.AfterFunc(req.Context(), cancel)
	w := &responseWriter{header: http.Header{}, started: make(chan struct{}), closed: make(chan bool, 1), cancel: cancel}
	sreq := t.serverRequest(ctx, req)
	go func() {
		defer func() {
			r := recover()
			switch {
			case r == nil:
				w.finish(nil)
			case r == http.ErrAbortHandler:
				w.finish(errAborted)
			default:
				w.finish(fmt.Errorf("in-process API server handler panicked: %v", r))
			}
			stop()
			cancel()
			closeBody(req)
		}()
		h.ServeHTTP(w, sreq)
	}()
	select {
	case <-w.started:
		return w.response(req)
	case <-req.Context().Done():
		cancel()
		return nil, req.Context().Err()
	}
}

var (
	errAborted  = errors.New("in-process API server aborted the response")
	errFinished = errors.New("write after the in-process API server handler returned")
)

func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

func isUpgrade(req *http.Request) bool {
	for _, v := range req.Header.Values("Connection") {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), "upgrade") {
				return true
			}
		}
	}
	return req.Header.Get("Upgrade") != ""
}

// serverRequest is req as the API server's http.Server would hand it to its handler.
func (t *Transport) serverRequest(ctx context.Context, req *http.Request) *http.Request {
	body := req.Body
	if body == nil {
		body = http.NoBody
	}
	u := &url.URL{Path: req.URL.Path, RawPath: req.URL.RawPath, RawQuery: req.URL.RawQuery}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	sreq := &http.Request{
		Method:        req.Method,
		URL:           u,
		Proto:         "HTTP/2.0",
		ProtoMajor:    2,
		Header:        req.Header.Clone(),
		Body:          body,
		ContentLength: req.ContentLength,
		Host:          host,
		RemoteAddr:    "127.0.0.1:0",
		RequestURI:    u.RequestURI(),
		TLS: &tls.ConnectionState{
			Version:            tls.VersionTLS13,
			HandshakeComplete:  true,
			NegotiatedProtocol: "h2",
			PeerCertificates:   t.peer,
		},
	}
	if sreq.Header == nil {
		sreq.Header = http.Header{}
	}
	return sreq.WithContext(ctx)
}

// responseWriter buffers a response until the handler flushes or returns; from the first
// flush on (watches, streamed lists) it streams through a pipe the client's reads drain.
type responseWriter struct {
	header http.Header
	cancel context.CancelFunc
	closed chan bool // CloseNotify

	mu        sync.Mutex
	status    int
	buf       bytes.Buffer
	pr        *io.PipeReader
	pw        *io.PipeWriter
	done      bool
	err       error // the handler's panic, if it ended that way before starting
	started   chan struct{}
	isStarted bool
	snapshot  http.Header
}

// Header implements http.ResponseWriter.
func (w *responseWriter) Header() http.Header { return w.header }

// WriteHeader implements http.ResponseWriter.
func (w *responseWriter) WriteHeader(code int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.status == 0 && code >= 200 {
		w.status = code
	}
}

// Write implements http.ResponseWriter.
func (w *responseWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	if w.done {
		w.mu.Unlock()
		return 0, errFinished
	}
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.pw == nil {
		n, err := w.buf.Write(p)
		w.mu.Unlock()
		return n, err
	}
	pw := w.pw
	w.mu.Unlock()
	return pw.Write(p)
}

// Flush implements http.Flusher: the response starts streaming to the client.
func (w *responseWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done || w.pw != nil {
		return
	}
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.pr, w.pw = io.Pipe()
	w.start()
}

// CloseNotify implements http.CloseNotifier: it fires when the client closes the response
// body or cancels the request.
func (w *responseWriter) CloseNotify() <-chan bool { return w.closed }

// start hands the response head to RoundTrip; w.mu is held.
func (w *responseWriter) start() {
	if w.isStarted {
		return
	}
	w.isStarted = true
	w.snapshot = w.header.Clone()
	close(w.started)
}

// finish ends the response once the handler returned (err: it panicked).
func (w *responseWriter) finish(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done = true
	if w.pw != nil {
		_ = w.pw.CloseWithError(err)
		return
	}
	w.err = err
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.start()
}

// clientClosed is the client closing the response body before its end.
func (w *responseWriter) clientClosed() {
	select {
	case w.closed <- true:
	default:
	}
	w.cancel()
}

// response is the client's view of the response once started.
func (w *responseWriter) response(req *http.Request) (*http.Response, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.pw == nil && w.err != nil {
		return nil, w.err
	}
	resp := &http.Response{
		Status:     strconv.Itoa(w.status) + " " + http.StatusText(w.status),
		StatusCode: w.status,
		Proto:      "HTTP/2.0",
		ProtoMajor: 2,
		Header:     w.snapshot,
		Request:    req,
	}
	buffered := bytes.NewReader(w.buf.Bytes())
	if w.pw == nil {
		resp.ContentLength = int64(buffered.Len())
		resp.Body = io.NopCloser(buffered)
		return resp, nil
	}
	resp.ContentLength = -1
	resp.Body = &streamBody{r: io.MultiReader(buffered, w.pr), pr: w.pr, w: w}
	return resp, nil
}

// streamBody is a streamed response's body; closing it ends the handler's request.
type streamBody struct {
	r  io.Reader
	pr *io.PipeReader
	w  *responseWriter
}

// Read implements io.Reader.
func (b *streamBody) Read(p []byte) (int, error) { return b.r.Read(p) }

// Close implements io.Closer.
func (b *streamBody) Close() error {
	_ = b.pr.CloseWithError(errClientClosed)
	b.w.clientClosed()
	return nil
}

var errClientClosed = errors.New("in-process client closed the response body")
