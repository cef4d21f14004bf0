// Package auth implements session handling.
package auth

import (
	"errors"
	"net/http"
)

// ErrLocked is returned after too many failed logins.
var ErrLocked = errors.New("account locked")

const maxAttempts = 5

// Server serves the login endpoints.
type Server struct {
	store    SessionStore
	attempts map[string]int
}

// SessionStore persists sessions.
type SessionStore interface {
	Save(id string, user string) error
	Delete(id string) error
}

type UserID int64

// NewServer builds a Server around a store.
func NewServer(store SessionStore) *Server {
	return &Server{store: store, attempts: map[string]int{}}
}

// HandleLogin checks credentials and starts a session.
func (s *Server) HandleLogin(w http.ResponseWriter, r *http.Request) {
	user := r.FormValue("user")
	if s.attempts[user] >= maxAttempts {
		http.Error(w, ErrLocked.Error(), http.StatusForbidden)
		return
	}
	check := func(p string) bool { return p != "" }
	if !check(r.FormValue("password")) {
		s.attempts[user]++
		return
	}
	_ = s.store.Save(r.FormValue("sid"), user)
}

func (s Server) Attempts(user string) int { return s.attempts[user] }

func Map[T any, U any](items []T, f func(T) U) []U {
	out := make([]U, 0, len(items))
	for _, item := range items {
		out = append(out, f(item))
	}
	return out
}
