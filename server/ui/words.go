package ui

import (
	"fmt"
	"strconv"
	"strings"
)

var weekdays = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

var months = []string{"", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

// cronWords says a cron expression in words ("at 06:30 on Monday–Friday");
// what it cannot say simply it gives back as the expression.
func cronWords(expr string) string {
	expr = strings.TrimSpace(expr)
	switch expr {
	case "@daily", "@midnight":
		return "every day at 00:00"
	case "@hourly":
		return "every hour, on the hour"
	case "@weekly":
		return "every Sunday at 00:00"
	case "@monthly":
		return "on day 1 of every month at 00:00"
	case "@yearly", "@annually":
		return "every 1 January at 00:00"
	}
	if d, ok := strings.CutPrefix(expr, "@every "); ok {
		return "every " + strings.TrimSpace(d)
	}
	f := strings.Fields(expr)
	if len(f) != 5 {
		return "cron " + expr
	}
	when, ok := timeWords(f[0], f[1])
	if !ok {
		return "cron " + expr
	}
	days, ok := dayWords(f[2], f[4])
	if !ok {
		return "cron " + expr
	}
	out := when + " " + days
	if f[3] != "*" {
		m, ok := listWords(f[3], func(n int) (string, bool) {
			if n < 1 || n > 12 {
				return "", false
			}
			return months[n], true
		})
		if !ok {
			return "cron " + expr
		}
		out += " in " + m
	}
	return out
}

func timeWords(min, hour string) (string, bool) {
	mins, minOK := numbers(min)
	hours, hourOK := numbers(hour)
	switch {
	case min == "*" && hour == "*":
		return "every minute", true
	case strings.HasPrefix(min, "*/") && hour == "*":
		return "every " + strings.TrimPrefix(min, "*/") + " minutes", true
	case minOK && hour == "*":
		return "every hour at minute " + min, true
	case minOK && strings.HasPrefix(hour, "*/"):
		return fmt.Sprintf("at minute %s of every %s hours", min, strings.TrimPrefix(hour, "*/")), true
	case minOK && hourOK && len(mins)*len(hours) <= 6:
		var at []string
		for _, h := range hours {
			for _, m := range mins {
				at = append(at, fmt.Sprintf("%02d:%02d", h, m))
			}
		}
		return "at " + strings.Join(at, ", "), true
	}
	return "", false
}

func dayWords(dom, dow string) (string, bool) {
	weekday := func(n int) (string, bool) {
		if n < 0 || n > 7 {
			return "", false
		}
		return weekdays[n%7], true
	}
	switch {
	case dom == "*" && dow == "*":
		return "every day", true
	case dom == "*":
		w, ok := listWords(dow, weekday)
		return "on " + w, ok
	case dow == "*":
		d, ok := listWords(dom, func(n int) (string, bool) { return strconv.Itoa(n), n >= 1 && n <= 31 })
		return "on day " + d + " of the month", ok
	}
	d, ok1 := listWords(dom, func(n int) (string, bool) { return strconv.Itoa(n), n >= 1 && n <= 31 })
	w, ok2 := listWords(dow, weekday)
	return "on day " + d + " of the month and on " + w, ok1 && ok2
}

// listWords names the items of a cron list field with ranges ("1-5,0").
func listWords(field string, name func(int) (string, bool)) (string, bool) {
	var parts []string
	for _, item := range strings.Split(field, ",") {
		lo, hi, isRange := strings.Cut(item, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return "", false
		}
		na, ok := name(a)
		if !ok {
			return "", false
		}
		if !isRange {
			parts = append(parts, na)
			continue
		}
		b, err := strconv.Atoi(hi)
		if err != nil {
			return "", false
		}
		nb, ok := name(b)
		if !ok {
			return "", false
		}
		parts = append(parts, na+"–"+nb)
	}
	return strings.Join(parts, ", "), true
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
