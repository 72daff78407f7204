package server

import (
	"context"
	"fmt"
	"sync"
)

// limiter counts open Subscribe RPCs, in total and per client, so that no
// client can make the server hold more goroutines and queues than its
// options allow.
type limiter struct {
	total, perClient int

	mu       sync.Mutex
	open     int
	byClient map[string]int
}

func newLimiter(total, perClient int) *limiter {
	return &limiter{total: total, perClient: perClient, byClient: map[string]int{}}
}

// acquire counts one more subscription of client, or fails with errLimit.
// release undoes it; call it once.
func (l *limiter) acquire(client string) (release func(), err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.open >= l.total:
		return nil, fmt.Errorf("%w: %d subscriptions are open, the most the server allows (--max-subscriptions)", errLimit, l.open)
	case l.byClient[client] >= l.perClient:
		return nil, fmt.Errorf("%w: client %s has %d subscriptions open, the most one client may (--max-client-subscriptions)", errLimit, client, l.byClient[client])
	}
	l.open++
	l.byClient[client]++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.open--
			if l.byClient[client]--; l.byClient[client] == 0 {
				delete(l.byClient, client)
			}
		})
	}, nil
}

// client names who makes a request, for per-client limits: the user from
// the host it connects from.
func (s *Server) client(ctx context.Context) string {
	return userOf(ctx) + "@" + peerHost(ctx)
}
