package schedule

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind says how a cron expression meets daylight-saving changes:
// "fixed-time", "wildcard" or, for @every, "interval".
func Kind(expr string) string {
	expr = strings.TrimSpace(expr)
	switch {
	case strings.HasPrefix(expr, "@every"):
		return "interval"
	case fixedTime(expr):
		return "fixed-time"
	}
	return "wildcard"
}

var descriptors = map[string]string{
	"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
	"@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}

var (
	weekdays = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
	months   = []string{"", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
)

// Describe puts a valid cron expression in words, for people reviewing
// a schedule: "at 06:00 on Monday to Friday".
func Describe(expr string) string {
	expr = strings.TrimSpace(expr)
	if d, ok := strings.CutPrefix(expr, "@every "); ok {
		return "every " + strings.TrimSpace(d) + " (counted from 1970-01-01 00:00 UTC)"
	}
	if e, ok := descriptors[expr]; ok {
		expr = e
	}
	f := strings.Fields(expr)
	if len(f) != 5 {
		return expr
	}
	parts := []string{describeTime(f[0], f[1])}
	days := func(field string) string {
		if strings.HasPrefix(field, "*/") {
			return describeField(field, nil) + " day of the month"
		}
		return "day " + describeField(field, nil) + " of the month"
	}
	dom, dow := !starred(f[2]) || strings.Contains(f[2], "/"), !starred(f[4]) || strings.Contains(f[4], "/")
	switch {
	case dom && dow && !starred(f[2]) && !starred(f[4]):
		parts = append(parts, "on "+days(f[2])+" or on "+describeField(f[4], weekdays))
	case dom && dow:
		parts = append(parts, "on "+days(f[2])+" if it is "+describeField(f[4], weekdays))
	case dom:
		parts = append(parts, "on "+days(f[2]))
	case dow:
		parts = append(parts, "on "+describeField(f[4], weekdays))
	default:
		parts = append(parts, "every day")
	}
	if f[3] != "*" && f[3] != "?" {
		parts = append(parts, "in "+describeField(f[3], months))
	}
	return strings.Join(parts, " ")
}

// describeTime words the minute and hour fields.
func describeTime(minute, hour string) string {
	m, mok := numbers(minute)
	h, hok := numbers(hour)
	switch {
	case mok && hok && len(m)*len(h) <= 6:
		var times []string
		for _, hh := range h {
			for _, mm := range m {
				times = append(times, fmt.Sprintf("%02d:%02d", hh, mm))
			}
		}
		return "at " + strings.Join(times, ", ")
	case minute == "*" && (hour == "*" || hour == "?"):
		return "every minute"
	case strings.HasPrefix(minute, "*/") && (hour == "*" || hour == "?"):
		return "every " + minute[2:] + " minutes"
	case mok && len(m) == 1 && (hour == "*" || hour == "?"):
		return fmt.Sprintf("at minute %d of every hour", m[0])
	}
	return "at minute " + describeField(minute, nil) + " of hour " + describeField(hour, nil)
}

// numbers reads a field that is a number or a list of numbers.
func numbers(field string) ([]int, bool) {
	var out []int
	for _, v := range strings.Split(field, ",") {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, false
		}
		out = append(out, n)
	}
	return out, true
}

// describeField words a field's list, ranges and steps; names, when given,
// replace numbers (weekdays, months).
func describeField(field string, names []string) string {
	name := func(v string) string {
		n, err := strconv.Atoi(v)
		if names == nil || err != nil || n < 0 || n >= len(names) {
			return v
		}
		return names[n]
	}
	var items []string
	for _, item := range strings.Split(field, ",") {
		rng, step, stepped := strings.Cut(item, "/")
		var s string
		if lo, hi, ok := strings.Cut(rng, "-"); ok {
			s = name(lo) + " to " + name(hi)
		} else if rng == "*" || rng == "?" {
			s = "every"
		} else {
			s = name(rng)
		}
		if stepped {
			if s == "every" {
				s = "every " + ordinal(step)
			} else {
				s = "every " + ordinal(step) + " of " + s
			}
		}
		items = append(items, s)
	}
	return strings.Join(items, ", ")
}

// ordinal words a step: "2nd", "3rd", "15th".
func ordinal(n string) string {
	switch {
	case strings.HasSuffix(n, "11"), strings.HasSuffix(n, "12"), strings.HasSuffix(n, "13"):
		return n + "th"
	case strings.HasSuffix(n, "1"):
		return n + "st"
	case strings.HasSuffix(n, "2"):
		return n + "nd"
	case strings.HasSuffix(n, "3"):
		return n + "rd"
	}
	return n + "th"
}
