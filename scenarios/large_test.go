package scenarios

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"
)

// largeScenario writes a valid scenario of about size bytes: many turns,
// each with a long transcript, audio, an interrupt and a function call
// every few turns, and an expectation per ten turns, the shape of a
// scenario promoted from a long recorded session.
func largeScenario(size, words int) []byte {
	var b strings.Builder
	b.Grow(size + 4096)
	b.WriteString("name: large\ndescription: A long recorded session.\n")
	b.WriteString("session:\n  turn_detection: {type: server_vad, silence_duration_ms: 200}\n")
	b.WriteString("  tools:\n    - name: get_weather\n      parameters: {type: object, properties: {city: {type: string}}}\n")
	b.WriteString("turns:\n")
	vocab := strings.Fields("the sea wind and old lighthouse keeper told a long story about ships that sailed " +
		"north in winter when the ice was thick and the nights were longer than anyone remembered")
	var expect strings.Builder
	expect.WriteString("expect:\n")
	for i := 0; b.Len()+expect.Len() < size; i++ {
		fmt.Fprintf(&b, "  - when: response.create\n    reply:\n      transcript: \"")
		for j := range words {
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(vocab[(i+j)%len(vocab)])
		}
		b.WriteString("\"\n      audio: {tone: 440Hz, duration: 20s, chunk: [100ms, 150ms, 250ms]}\n")
		if i%5 == 0 {
			fmt.Fprintf(&b, "      function_call: {name: get_weather, arguments: {city: Paris}, call_id: call_%d}\n", i)
		}
		fmt.Fprintf(&b, "    interrupt: {after_played: %dms, transcript: \"Wait, stop.\"}\n", 1000+i%1000)
		if i%10 == 0 {
			fmt.Fprintf(&expect, "  - client: conversation.item.truncate\n    after: input_audio_buffer.speech_started\n"+
				"    within: 500ms\n    match: {content_index: 0, audio_end_ms: {between: [1000, 2000]}}\n")
		}
	}
	b.WriteString(expect.String())
	return []byte(b.String())
}

// peakHeap runs f and returns the peak of the heap it used, sampled every
// 100µs, over what was in use before, and the bytes it allocated in all.
func peakHeap(f func()) (peak, total uint64) {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	base := sample[0].Value.Uint64()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var (
		high uint64 // written by the sampler until done is closed
		stop = make(chan struct{})
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(100 * time.Microsecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			high = max(high, s[0].Value.Uint64())
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	f()
	metrics.Read(sample)
	close(stop)
	<-done
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	high = max(high, sample[0].Value.Uint64())
	return high - min(base, high), after.TotalAlloc - before.TotalAlloc
}

// BenchmarkParseLarge parses 15 MiB scenarios, with transcripts of 300, 30
// and 3 words, and reports the peak heap and the bytes allocated, each as a
// multiple of the file's size:
//
//	go test -run '^$' -bench ParseLarge -benchtime 2x ./scenarios
//
// Read in pieces (chunk.go), the peak is 3.0x, 3.7x and 4.4x the file; read
// into one tree it was 6.8x, 22x and 37x. The allocations, mostly the
// nodes of one item at a time, are 18x to 72x.
func BenchmarkParseLarge(b *testing.B) {
	for _, words := range []int{300, 30, 3} {
		b.Run(fmt.Sprintf("words=%d", words), func(b *testing.B) { benchmarkParseLarge(b, words) })
	}
}

func benchmarkParseLarge(b *testing.B, words int) {
	data := largeScenario(15<<20, words)
	if _, err := Parse("large.yaml", data); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	var peak, total uint64
	for b.Loop() {
		var sc *Scenario
		p, t := peakHeap(func() { sc, _ = Parse("large.yaml", data) })
		runtime.KeepAlive(sc)
		peak, total = max(peak, p), max(total, t)
	}
	b.ReportMetric(float64(peak)/float64(len(data)), "peak-heap/size")
	b.ReportMetric(float64(total)/float64(len(data)), "alloc/size")
}
