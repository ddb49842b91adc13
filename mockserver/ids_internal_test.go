package mockserver

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/rtmock/rtmock/clock"
)

// TestIDsAreTimeOrdered: ids have 21 characters after the prefix, begin
// with a time-ordered part that sorts in the order the ids were made and
// that a session's ids share over an hour, as the service's do; the
// leading character matches recorded sessions of the same month; call_ ids
// are 16 random characters.
func TestIDsAreTimeOrdered(t *testing.T) {
	tests := []struct {
		at    time.Time
		first byte // recorded: "Ath…" 2025-01 [L1], "Cl…" 2025-12 [L5]
	}{
		{time.Date(2025, 1, 25, 12, 0, 0, 0, time.UTC), 'A'},
		{time.Date(2025, 12, 10, 12, 0, 0, 0, time.UTC), 'C'},
	}
	for _, tt := range tests {
		clk := clock.NewManual(tt.at)
		g := ids{rng: rand.New(rand.NewPCG(1, 2)), clock: clk}
		var prev string
		var all []string
		for i := range 400 {
			id := strings.TrimPrefix(string(g.appendEventID(nil)), "event_")
			if len(id) != idLen {
				t.Fatalf("id %q: %d characters", id, len(id))
			}
			if prev != "" && id[:timeLen] < prev[:timeLen] {
				t.Errorf("id %q made after %q sorts before it", id, prev)
			}
			prev = id
			all = append(all, id)
			clk.Advance(time.Duration(i%7) * time.Second) // 20 minutes in all
		}
		if all[0][0] != tt.first {
			t.Errorf("%s: ids begin %q, recorded sessions of that month %q", tt.at.Format("2006-01"), all[0][:3], tt.first)
		}
		if all[0][:2] != all[len(all)-1][:2] {
			t.Errorf("ids of 20 minutes do not share a prefix: %s, %s", all[0], all[len(all)-1])
		}
		item := g.make("item_")
		if !strings.HasPrefix(item, "item_"+all[len(all)-1][:3]) {
			t.Errorf("item id %s does not share the event ids' prefix %s", item, all[len(all)-1][:3])
		}
		if call := g.make("call_"); len(call) != len("call_")+callIDLen {
			t.Errorf("call id %s: want 16 characters", call)
		}
	}
}
