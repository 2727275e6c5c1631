package gridsim

import (
	"net/http"
	"time"
)

// Limits of the HTTP server that HTTPServer builds, so that no client can hold a connection
// by sending its request slowly (slowloris) or make the server buffer huge headers. Request
// bodies are limited by WithMaxBody. There is no write timeout: a reply may legitimately
// take long when a cost profile or a fault delays it.
const (
	// DefaultReadHeaderTimeout is the time a client has to send a request's line and
	// headers (and to complete the TLS handshake).
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultReadTimeout is the time a client has to send a whole request, body included:
	// DefaultMaxBody at 1 MB/s.
	DefaultReadTimeout = 2 * time.Minute
	// DefaultIdleTimeout is how long a kept-alive connection may wait for its next request.
	DefaultIdleTimeout = 5 * time.Minute
	// DefaultMaxHeaderBytes is the largest request line and headers accepted (64 KiB; a
	// WAPI request's are well under 4 KiB). Larger ones get 431.
	DefaultMaxHeaderBytes = 64 << 10
)

// HTTPServer returns an http.Server that serves s, with its ConnContext and ConnState, and
// the limits DefaultReadHeaderTimeout, DefaultReadTimeout, DefaultIdleTimeout and
// DefaultMaxHeaderBytes. Adjust its fields (Addr, TLSConfig, the limits) before serving.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{
		Handler:           s,
		ConnContext:       s.ConnContext,
		ConnState:         s.ConnState,
		ReadHeaderTimeout: DefaultReadHeaderTimeout,
		ReadTimeout:       DefaultReadTimeout,
		IdleTimeout:       DefaultIdleTimeout,
		MaxHeaderBytes:    DefaultMaxHeaderBytes,
	}
}
