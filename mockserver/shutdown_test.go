package mockserver_test

import (
	"testing"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/mockserver"
)

// Close ends every live session with 1001 (going away), so clients can
// tell a shutdown from a dropped connection.
func TestCloseSendsGoingAway(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		srv := startServer(t, &mockserver.Options{DisableTLS: false})
		c := dial(t, srv, d)
		c.next()
		go srv.Close()
		for {
			if _, _, err := c.conn.Read(c.ctx); err != nil {
				if websocket.CloseStatus(err) != websocket.StatusGoingAway {
					t.Errorf("%s: session ended with %v, want 1001", d.name, err)
				}
				break
			}
		}
	}
}
