package mockserver

import (
	"fmt"
	"slices"
	"testing"
)

func order(c *conversation) []string {
	var ids []string
	for it := c.head; it != nil; it = it.next {
		ids = append(ids, it.ID)
	}
	return ids
}

func TestConversationInsertsWhereAsked(t *testing.T) {
	var c conversation
	c.init()
	add := func(id, prev string) { c.insert(&item{ID: id, Type: "message"}, prev) }
	add("a", "")
	add("b", "")
	add("c", "a")    // after a
	add("z", "root") // first
	add("d", "b")    // after the last
	add("e", "nope") // unknown: at the end
	if got, want := order(&c), []string{"z", "a", "c", "b", "d", "e"}; !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
	c.remove(c.get("c"))
	c.remove(c.get("z"))
	c.remove(c.get("e"))
	if got, want := order(&c), []string{"a", "b", "d"}; !slices.Equal(got, want) {
		t.Fatalf("after deletes %v, want %v", got, want)
	}
	if c.lastID() != "d" || c.prevID(c.get("b")) != "a" || c.n != 3 {
		t.Fatalf("last %q, before b %q, n %d", c.lastID(), c.prevID(c.get("b")), c.n)
	}
}

func TestConversationKeepsTokensAndEvictsTheOldest(t *testing.T) {
	var c conversation
	c.init()
	for i := range 100 {
		c.insert(&item{ID: fmt.Sprint(i), Type: "message", Content: []contentPart{{Kind: partInputText, Text: string(make([]byte, 400))}}}, "")
	}
	if c.tokens != 100*100 {
		t.Fatalf("tokens %d, want %d", c.tokens, 100*100)
	}
	c.evictOldest(2500)
	if c.tokens > 2500 || c.head.ID != "75" || c.n != 25 {
		t.Fatalf("after eviction: %d tokens, first %s, %d items", c.tokens, c.head.ID, c.n)
	}
}

// BenchmarkChainedInsert inserts items each after the previous one by id,
// as a client chaining previous_item_id does: the cost per insert must not
// grow with the conversation (it was a linear scan: 80,000 items took 54 s).
func BenchmarkChainedInsert(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		b.Run(fmt.Sprint("n=", n), func(b *testing.B) {
			ids := make([]string, n)
			for i := range ids {
				ids[i] = fmt.Sprint("item_", i)
			}
			b.ResetTimer()
			for range b.N / n {
				var c conversation
				c.init()
				prev := "root"
				for _, id := range ids {
					c.insert(&item{ID: id, Type: "message"}, prev)
					prev = id
				}
			}
		})
	}
}
