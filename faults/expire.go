package faults

// bindExpire ends the session with session_expired at At.
func bindExpire(f Fault, env Env) Layer {
	env.At(env.Started().Add(f.At), func() {
		env.Note(Server, f.String())
		env.Expire(f.At)
	})
	return pass{}
}
