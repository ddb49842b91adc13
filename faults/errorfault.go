package faults

// bindError sends an error event at a time or after the nth server event
// of a type.
func bindError(f Fault, env Env) Layer {
	return newTrigger(f, env, func() {
		typ := f.ErrorType
		if typ == "" {
			typ = "invalid_request_error"
		}
		msg := f.Message
		if msg == "" {
			code := f.ErrorCode
			if code == "" {
				code = f.ErrorType
			}
			msg = "Injected fault: " + code + "."
		}
		env.Note(Server, f.String())
		env.InjectError(typ, f.ErrorCode, msg)
	})
}
