package conformance

import (
	"math"
	"time"

	"github.com/rtmock/rtmock/audio"
)

// soundStats describes a stretch of audio the way the format rule needs:
// how loud its 10 ms frames are, how noisy the loud ones are, and how long
// its longest stretch of sound lasts.
type soundStats struct {
	frames    int           // 10 ms frames
	loud      int           // frames within 30 dB of the loudest
	zcr       float64       // mean zero-crossing rate of the loud frames (crossings per sample)
	fullScale float64       // share of frames louder than −3 dBFS
	longest   time.Duration // the longest run of loud frames, gaps under 300 ms bridged
}

// soundOf analyses audio in format f.
func soundOf(f audio.Format, data []byte) soundStats {
	s := audio.AppendSamples(nil, f, data)
	n := f.SampleRate() / 100 // samples per 10 ms frame
	var st soundStats
	if n == 0 || len(s) < n {
		return st
	}
	levels := make([]float64, 0, len(s)/n)
	peak := math.Inf(-1)
	for i := 0; i+n <= len(s); i += n {
		var sum float64
		for _, x := range s[i : i+n] {
			sum += float64(x) * float64(x)
		}
		// dBFS relative to a full-scale sine (mean square 32768²/2).
		l := 10 * math.Log10(sum/float64(n)/(32768.0*32768.0/2)+1e-12)
		levels = append(levels, l)
		peak = max(peak, l)
	}
	st.frames = len(levels)
	threshold := peak - 30
	var zsum float64
	run, gap, best := 0, 0, 0
	for k, l := range levels {
		if l > -3 {
			st.fullScale++
		}
		if l >= threshold && l > -70 {
			st.loud++
			fr := s[k*n : (k+1)*n]
			z := 0
			for j := 1; j < len(fr); j++ {
				if (fr[j] >= 0) != (fr[j-1] >= 0) {
					z++
				}
			}
			zsum += float64(z) / float64(len(fr)-1)
			run += gap + 1
			gap = 0
			best = max(best, run)
			continue
		}
		if run > 0 {
			gap++
			if gap >= 30 { // 300 ms of quiet ends a stretch
				run, gap = 0, 0
			}
		}
	}
	if st.loud > 0 {
		st.zcr = zsum / float64(st.loud)
	}
	st.fullScale /= float64(st.frames)
	st.longest = time.Duration(best) * 10 * time.Millisecond
	return st
}

// commonRates are the sample rates audio sources have.
var commonRates = []int{8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000}

// rateHint names the sample rate of a source whose samples, played at the
// declared rate, change the length of speech by ratio (the client's speech
// length over the input's): declared × ratio. It returns 0 when no common
// rate fits.
func rateHint(declared int, ratio float64) int {
	implied := float64(declared) * ratio
	for _, r := range commonRates {
		if math.Abs(implied-float64(r)) <= 0.03*float64(r) && r != declared {
			return r
		}
	}
	return 0
}
