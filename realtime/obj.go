package realtime

import "encoding/json"

// obj is a JSON object of a client event being validated: the members a
// reader takes are consumed, and unknown reports the first one nobody took,
// in document order, as the service's unknown_parameter error does.
type obj struct {
	path    string
	v       Value
	taken   []string
	lenient bool // never report unknown members
}

// newObj wraps v, an object or null (nil *obj) at path.
func newObj(path string, v Value, lenient bool) (*obj, *Error) {
	switch v.Kind() {
	case JSONNull, JSONNone:
		return nil, nil
	case JSONObject:
		return &obj{path: path, v: v, lenient: lenient}, nil
	}
	return nil, NewInvalidTypeError(path, "an object", v.Kind().String())
}

// NewObjectReader is obj for readers outside this file's package: it lets
// the mock validate objects (response.create's response, items) with the
// same rules as the session. v must be an object or null (nil reader).
func NewObjectReader(path string, v Value) (*ObjectReader, *Error) {
	o, err := newObj(path, v, false)
	if o == nil {
		return nil, err
	}
	return &ObjectReader{o: o}, nil
}

// ObjectReader reads the members of a client JSON object, reporting the
// service's errors: each typed read validates one member; Unknown then
// reports the first member no read took.
type ObjectReader struct{ o *obj }

// Has reports whether member k is present.
func (r *ObjectReader) Has(k string) bool { return r.o.has(k) }

// Take consumes and returns member k.
func (r *ObjectReader) Take(k string) (Value, bool) { return r.o.take(k) }

// Str reads a string member into dst.
func (r *ObjectReader) Str(k string, dst *string) *Error { return r.o.str(k, dst) }

// Enum reads a string member that must be one of allowed.
func (r *ObjectReader) Enum(k string, dst *string, allowed []string) *Error {
	return r.o.enum(k, dst, allowed)
}

// Number reads a number member in [lo, hi].
func (r *ObjectReader) Number(k string, dst *float64, lo, hi float64) *Error {
	return r.o.number(k, dst, lo, hi)
}

// Raw keeps member k as JSON.
func (r *ObjectReader) Raw(k string, dst *json.RawMessage) *Error { return r.o.raw(k, dst) }

// Unknown reports the first member no read took.
func (r *ObjectReader) Unknown() *Error { return r.o.unknown() }

// Sub is the path of member k.
func (r *ObjectReader) Sub(k string) string { return r.o.sub(k) }

func (o *obj) sub(k string) string {
	if o.path == "" {
		return k
	}
	return o.path + "." + k
}

func (o *obj) has(k string) bool { return o.v.Get(k).Exists() }

func (o *obj) take(k string) (Value, bool) {
	v := o.v.Get(k)
	if !v.Exists() {
		return v, false
	}
	o.taken = append(o.taken, k)
	return v, true
}

func (o *obj) untake(k string) {
	for i := len(o.taken) - 1; i >= 0; i-- {
		if o.taken[i] == k {
			o.taken = append(o.taken[:i], o.taken[i+1:]...)
			return
		}
	}
}

// unknown reports the first member nobody took.
func (o *obj) unknown() *Error {
	if o == nil || o.lenient {
		return nil
	}
	for m := range o.v.Members() {
		k := m.KeyString()
		if !containsString(o.taken, k) {
			return NewUnknownParameterError(o.sub(k))
		}
	}
	return nil
}

func (o *obj) str(k string, dst *string) *Error {
	v, ok := o.take(k)
	if !ok {
		return nil
	}
	s, ok := v.Str()
	if !ok {
		return NewInvalidTypeError(o.sub(k), "a string", v.Kind().String())
	}
	*dst = s
	return nil
}

func (o *obj) enum(k string, dst *string, allowed []string) *Error {
	var s string
	if !o.has(k) {
		return nil
	}
	if err := o.str(k, &s); err != nil {
		return err
	}
	if !containsString(allowed, s) {
		return NewInvalidValueError(o.sub(k), s, allowed)
	}
	*dst = s
	return nil
}

func (o *obj) boolean(k string, dst *bool) *Error {
	v, ok := o.take(k)
	if !ok {
		return nil
	}
	b, ok := v.Bool()
	if !ok {
		return NewInvalidTypeError(o.sub(k), "a boolean", v.Kind().String())
	}
	*dst = b
	return nil
}

func (o *obj) number(k string, dst *float64, lo, hi float64) *Error {
	v, ok := o.take(k)
	if !ok {
		return nil
	}
	f, ok := v.Float()
	if !ok {
		return NewInvalidTypeError(o.sub(k), "a decimal", v.Kind().String())
	}
	if f < lo {
		return NewBelowMinError(o.sub(k), lo, f, false)
	}
	if f > hi {
		return NewAboveMaxError(o.sub(k), hi, f, false)
	}
	*dst = f
	return nil
}

func (o *obj) integer(k string, dst *int, lo, hi int) *Error {
	v, ok := o.take(k)
	if !ok {
		return nil
	}
	n, ok := v.Int()
	if !ok {
		return NewInvalidTypeError(o.sub(k), "an integer", v.Kind().String())
	}
	if n < int64(lo) {
		return NewBelowMinError(o.sub(k), float64(lo), float64(n), true)
	}
	if n > int64(hi) {
		return NewAboveMaxError(o.sub(k), float64(hi), float64(n), true)
	}
	*dst = int(n)
	return nil
}

// raw keeps member k as it is.
func (o *obj) raw(k string, dst *json.RawMessage) *Error {
	if v, ok := o.take(k); ok {
		*dst = cloneRaw(v)
	}
	return nil
}
