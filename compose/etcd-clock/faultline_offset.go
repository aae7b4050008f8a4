// Wall-clock offset for faultline's clock-skew faults (added to package time by
// `go build -overlay`; see compose/etcd-clock/Dockerfile).
//
// When FAULTLINE_CLOCK_OFFSET_FILE names a file, a goroutine reads it every
// faultlinePollInterval and Now() returns the host's wall clock plus the offset it holds
// (decimal seconds, e.g. "+12.5", "-3", "0"; a missing file means 0). Only the wall
// reading moves: monotonic readings, timers and Sleep keep following the host's
// monotonic clock, exactly as on a host whose clock was stepped with `date -s`.

package time

import (
	"sync/atomic"
	"syscall"
)

// faultlineOffsetNanos is read by every Now(): an atomic load keeps it cheap and race-free.
var faultlineOffsetNanos int64

const faultlinePollInterval = 20 * Millisecond

func init() {
	path, ok := syscall.Getenv("FAULTLINE_CLOCK_OFFSET_FILE")
	if !ok || path == "" {
		return
	}
	faultlineLoadOffset(path)
	go func() {
		for {
			Sleep(faultlinePollInterval)
			faultlineLoadOffset(path)
		}
	}()
}

// faultlineSkew shifts a wall reading (seconds, nanoseconds since 1970) by the offset.
func faultlineSkew(sec int64, nsec int32) (int64, int32) {
	off := atomic.LoadInt64(&faultlineOffsetNanos)
	if off == 0 {
		return sec, nsec
	}
	sec += off / 1e9
	n := int64(nsec) + off%1e9
	if n >= 1e9 {
		n -= 1e9
		sec++
	} else if n < 0 {
		n += 1e9
		sec--
	}
	return sec, int32(n)
}

// faultlineLoadOffset stores the file's offset; a missing file means 0, and unparsable
// content leaves the previous offset in place (the harness replaces the file atomically,
// so this only guards against hand-edited files).
func faultlineLoadOffset(path string) {
	fd, err := open(path)
	if err != nil {
		atomic.StoreInt64(&faultlineOffsetNanos, 0)
		return
	}
	var buf [64]byte
	n, _ := read(fd, buf[:])
	closefd(fd)
	if off, ok := faultlineParseSeconds(buf[:n]); ok {
		atomic.StoreInt64(&faultlineOffsetNanos, off)
	}
}

// faultlineParseSeconds parses "[+-]digits[.digits]" (surrounding blanks allowed) into
// nanoseconds. Package time cannot import strconv's float parsing without widening its
// dependencies, and this format is all the harness writes.
func faultlineParseSeconds(b []byte) (int64, bool) {
	i, end := 0, len(b)
	for i < end && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	for end > i && (b[end-1] == ' ' || b[end-1] == '\t' || b[end-1] == '\n' || b[end-1] == '\r') {
		end--
	}
	neg := false
	if i < end && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	var whole, frac int64
	digits, fracDigits := 0, 0
	for ; i < end && b[i] >= '0' && b[i] <= '9'; i++ {
		if whole >= 1<<32 {
			return 0, false // beyond ~136 years: not a clock offset, and would overflow
		}
		whole = whole*10 + int64(b[i]-'0')
		digits++
	}
	if i < end && b[i] == '.' {
		for i++; i < end && b[i] >= '0' && b[i] <= '9'; i++ {
			if fracDigits < 9 {
				frac = frac*10 + int64(b[i]-'0')
				fracDigits++
			}
			digits++
		}
	}
	if i != end || digits == 0 {
		return 0, false
	}
	for ; fracDigits < 9; fracDigits++ {
		frac *= 10
	}
	off := whole*1e9 + frac
	if neg {
		off = -off
	}
	return off, true
}
