package faults

// bindDisconnect closes the connection at a time or after the nth server
// event of a type; code 1006 (or none) drops it without a close frame.
func bindDisconnect(f Fault, env Env) Layer {
	return newTrigger(f, env, func() {
		code, reason := f.Code, f.Reason
		if code == 0 {
			code = 1006
		}
		if code == 1006 {
			reason = "fault: connection dropped"
		}
		env.Note(Server, f.String())
		env.Disconnect(code, reason)
	})
}
