package mockserver

import (
	"github.com/rtmock/rtmock/realtime"
	"github.com/rtmock/rtmock/scenarios"
)

// peekTurn returns the turn the trigger would take, without taking it.
func (m *sim) peekTurn(trigger scenarios.Trigger) *scenarios.Turn {
	i := m.findTurn(trigger)
	if i < 0 {
		return nil
	}
	return &m.scn.Turns[i]
}

func (m *sim) findTurn(trigger scenarios.Trigger) int {
	if m.scn == nil {
		return -1
	}
	for i := range m.scn.Turns {
		t := &m.scn.Turns[i]
		if m.used[i] && !t.Repeat {
			continue
		}
		switch {
		case t.When == trigger,
			t.When == scenarios.OnResponse && (trigger == scenarios.OnResponseCreate || trigger == scenarios.OnUserSpeech || trigger == scenarios.OnIdleTimeout),
			trigger == scenarios.OnResponseCreate && t.When == scenarios.OnItemCreate && m.itemSinceResponse,
			trigger == scenarios.OnResponseCreate && t.When == scenarios.OnCommit && m.commitSinceResponse:
			return i
		}
	}
	return -1
}

// takeTurn returns the turn for the trigger and marks it used; nil when no
// turn matches.
func (m *sim) takeTurn(trigger scenarios.Trigger) *scenarios.Turn {
	i := m.findTurn(trigger)
	if i < 0 {
		return nil
	}
	m.used[i] = true
	return &m.scn.Turns[i]
}

// runTurn answers a trigger: the turn's error and fault, then its reply (or
// the default reply) as a response. params are the client's response.create
// parameters, if any.
func (m *sim) runTurn(t *scenarios.Turn, eventID string, trigger scenarios.Trigger, params *responseParams) {
	reply := m.defaultReply()
	var interrupt *scenarios.Interrupt
	if t != nil {
		if t.Error != nil {
			m.sendError(&realtime.Error{Type: orDefault(t.Error.Type, realtime.InvalidRequestError), Code: t.Error.Code,
				Message: t.Error.Message, Param: t.Error.Param}, eventID)
		}
		if f := t.Fault; f != nil {
			m.at(m.clock.Now().Add(f.Delay), nil, func() { m.closeWith(closeCode(f.CloseCode), f.CloseReason) })
		}
		if t.Reply == nil && (t.Error != nil || t.Fault != nil) {
			return
		}
		if t.Reply != nil {
			reply = t.Reply
		}
		interrupt = t.Interrupt
	}
	if params == nil {
		params = &responseParams{}
	}
	createdAfter := m.cfg.lat.ResponseCreated
	if trigger == scenarios.OnResponseCreate {
		createdAfter = 0 // the request already waited in the pipeline
	}
	m.createResponse(reply, params, interrupt, createdAfter)
}

func (m *sim) defaultReply() *scenarios.Reply {
	if m.scn != nil && m.scn.DefaultReply != nil {
		return m.scn.DefaultReply
	}
	return &DefaultReply
}

// closeCode is a scenario fault's close code: 1011 (internal error) when
// unset.
func closeCode(c int) int {
	if c == 0 {
		return 1011
	}
	return c
}
