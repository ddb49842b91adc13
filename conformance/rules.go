package conformance

import "github.com/rtmock/rtmock/scenarios"

// Rule ids.
const (
	RuleBargeInTruncate  = "RT-BARGEIN-TRUNCATE"
	RuleTruncatePlayed   = "RT-TRUNCATE-PLAYED"
	RuleTruncateValue    = "RT-TRUNCATE-VALUE"
	RuleTruncateSpurious = "RT-TRUNCATE-SPURIOUS"
	RuleBargeInReaction  = "RT-BARGEIN-REACTION"
	RuleActiveResponse   = "RT-ACTIVE-RESPONSE"
	RuleCancelHandling   = "RT-CANCEL-HANDLING"
	RuleErrorRecovery    = "RT-ERROR-RECOVERY"
	RuleFunctionCall     = "RT-FUNCTION-CALL"
	RuleAudioFormat      = "RT-AUDIO-FORMAT"
	RuleAudioPacing      = "RT-AUDIO-PACING"
	RuleCommit           = "RT-COMMIT"
	RuleConfigFirst      = "RT-CONFIG-FIRST"
	RuleConfigRejected   = "RT-CONFIG-REJECTED"
	RuleVoiceChange      = "RT-VOICE-CHANGE"
	RuleDialect          = "RT-DIALECT"
	RuleEventTypes       = "RT-EVENT-TYPES"
	RuleSessionEnd       = "RT-SESSION-END"
	RuleCloseNormal      = "RT-CLOSE-NORMAL"
)

// Rules returns the rule catalogue in report order. Each call returns new
// values that the caller may change (to narrow Scenarios, say).
func Rules() []*Rule {
	return []*Rule{
		{
			ID:        RuleBargeInTruncate,
			Reason:    "after speech_started interrupts assistant audio that is playing, the client sends exactly one conversation.item.truncate for the playing item, so the model forgets what the user never heard (§8.1, §4(e))",
			Source:    "§8.1, §4(e)",
			Severity:  SeverityError,
			Scenarios: []string{"barge-in", "barge-in-late"},
			Needs:     []string{scenarios.PremiseAudioInput, scenarios.PremiseServerVAD},
			Check:     checkBargeInTruncate,
		},
		{
			ID:        RuleTruncatePlayed,
			Reason:    "a truncate's audio_end_ms is no more than the audio received and played: min(received, time since the item's first delta) plus the tolerance (§8.2, §5)",
			Source:    "§8.2, §5",
			Severity:  SeverityError,
			Scenarios: []string{"barge-in", "barge-in-late"},
			Needs:     []string{scenarios.PremiseAudioInput, scenarios.PremiseServerVAD},
			Check:     checkTruncatePlayed,
		},
		{
			ID:        RuleTruncateValue,
			Reason:    "a truncate names an assistant audio item that already has audio, content_index 0, and an integer audio_end_ms above 0; 0 or a truncate before the first delta is rejected (§8.3, §2)",
			Source:    "§8.3, §2, §5",
			Severity:  SeverityError,
			Scenarios: []string{"barge-in", "barge-in-late"},
			Needs:     []string{scenarios.PremiseAudioInput, scenarios.PremiseServerVAD},
			Check:     checkTruncateValue,
		},
		{
			ID:        RuleTruncateSpurious,
			Reason:    "truncate only after an interruption: a truncate without speech_started during the item's playback removes words the user did hear (§8.1, §8.2)",
			Source:    "§8.1, §8.2",
			Severity:  SeverityWarning,
			Scenarios: []string{"hello", "long-monologue"},
			Check:     checkTruncateSpurious,
		},
		{
			ID:        RuleBargeInReaction,
			Reason:    "the client reacts to speech_started during playback within the reaction window: it stops playing and truncates (§4(e))",
			Source:    "§4(e), §8.1",
			Severity:  SeverityWarning,
			Scenarios: []string{"barge-in", "barge-in-late"},
			Needs:     []string{scenarios.PremiseAudioInput, scenarios.PremiseServerVAD},
			Check:     checkBargeInReaction,
		},
		{
			ID:        RuleActiveResponse,
			Reason:    "no response.create while a response is in progress, including one the server started on its own: the service answers conversation_already_has_active_response (§8.4, §4(c))",
			Source:    "§8.4, §4(c), §4(f)",
			Severity:  SeverityError,
			Scenarios: []string{"active-response-race", "audio-turn", "function-call", "hello"},
			Needs:     []string{scenarios.PremiseResponseCreate},
			Check:     checkActiveResponse,
		},
		{
			ID:        RuleCancelHandling,
			Reason:    "response_cancel_not_active and a cancelled or incomplete response.done end nothing but that response: the client carries on instead of closing the session as failed or done (§8.5, §4(g))",
			Source:    "§8.5, §4(g)",
			Severity:  SeverityError,
			Scenarios: []string{"barge-in", "barge-in-late", "incomplete-response"},
			Check:     checkCancelHandling,
		},
		{
			ID:        RuleErrorRecovery,
			Reason:    "error events are not fatal: the client keeps the session open after one and asks again when its response.create was refused (§4(i), §3.1)",
			Source:    "§4(i), §3.1",
			Severity:  SeverityError,
			Scenarios: []string{"invalid-events", "server-error"},
			Check:     checkErrorRecovery,
		},
		{
			ID:        RuleFunctionCall,
			Reason:    "every function call gets a function_call_output with its call_id before the response.create that continues the turn, and that response.create comes after the response.done of the turn with the call (§4(f))",
			Source:    "§4(f), §8",
			Severity:  SeverityError,
			Scenarios: []string{"function-call"},
			Needs:     []string{scenarios.PremiseTools},
			Check:     checkFunctionCall,
		},
		{
			ID:        RuleAudioFormat,
			Reason:    "appended audio is what the session declares: base64 of whole samples (even byte counts for pcm16), 24 kHz little-endian PCM16 or G.711 as configured, not noise or another rate (§8.6, §5)",
			Source:    "§8.6, §8.9, §5",
			Severity:  SeverityError,
			Scenarios: []string{"audio-turn", "g711", "manual-commit", "transcription"},
			Needs:     []string{scenarios.PremiseAudioInput},
			Check:     checkAudioFormat,
		},
		{
			ID:        RuleAudioPacing,
			Reason:    "a live audio source streams in real time: the audio appended never runs more than the lead limit ahead of the wall clock, nor falls that far behind it (§5, §4(d))",
			Source:    "§5, §4(d)",
			Severity:  SeverityWarning,
			Scenarios: []string{"audio-turn", "g711", "manual-commit", "transcription"},
			Needs:     []string{scenarios.PremiseAudioInput},
			Check:     checkAudioPacing,
		},
		{
			ID:        RuleCommit,
			Reason:    "input_audio_buffer.commit only with at least 100 ms of audio buffered since the last commit, clear or server-VAD turn; with server VAD on, the server commits (§8.9, §4(h))",
			Source:    "§8.9, §4(h), §6",
			Severity:  SeverityError,
			Scenarios: []string{"manual-commit", "audio-turn", "transcription"},
			Needs:     []string{scenarios.PremiseAudioInput},
			Check:     checkCommit,
		},
		{
			ID:        RuleConfigFirst,
			Reason:    "after a session.update that configures the session (the first one, or one that changes input audio) the client waits for session.updated before streaming audio or sending response.create (§8.7, §4(b))",
			Source:    "§8.7, §4(a), §4(b)",
			Severity:  SeverityError,
			Scenarios: []string{"hello", "audio-turn", "manual-commit"},
			Check:     checkConfigFirst,
		},
		{
			ID:        RuleConfigRejected,
			Reason:    "a rejected session.update is dropped whole: the client fixes and resends it instead of streaming audio or creating responses under the old configuration (§8.7, §4(b))",
			Source:    "§8.7, §4(b)",
			Severity:  SeverityError,
			Scenarios: []string{"hello", "audio-turn"},
			Check:     checkConfigRejected,
		},
		{
			ID:        RuleVoiceChange,
			Reason:    "the voice is chosen before the assistant first speaks: changing it once assistant audio exists fails with cannot_update_voice (§8.7, §3.1)",
			Source:    "§8.7, §3.1",
			Severity:  SeverityWarning,
			Scenarios: []string{"hello", "function-call"},
			Check:     checkVoiceChange,
		},
		{
			ID:        RuleDialect,
			Reason:    "the client speaks the protocol version of the endpoint it chose: no GA fields or events in a preview session, no preview fields, events or beta marker in a GA session (§8.8, §1.1)",
			Source:    "§8.8, §1.1, §2, §3",
			Severity:  SeverityError,
			Scenarios: []string{"hello", "function-call", "text-only"},
			Check:     checkDialect,
		},
		{
			ID:        RuleEventTypes,
			Reason:    "only documented client events reach the service, as JSON text frames with known members: no invented events such as ping, no binary frames, no unknown fields (§8.9, §3.1)",
			Source:    "§8.9, §3.1, §2",
			Severity:  SeverityError,
			Scenarios: []string{"hello", "invalid-events"},
			Check:     checkEventTypes,
		},
		{
			ID:        RuleSessionEnd,
			Reason:    "when the server ends the session (session_expired then a close, or a dropped connection) the client reconnects with a fresh session or ends the call within the grace period instead of hanging (§8.10)",
			Source:    "§8.10, §1.3, §6",
			Severity:  SeverityError,
			Scenarios: []string{"session-expired", "connection-drop"},
			Check:     checkSessionEnd,
		},
		{
			ID:        RuleCloseNormal,
			Reason:    "the client ends a session with a close frame with code 1000, not by dropping the connection or leaving it open when the call is over (§1.3)",
			Source:    "§1.3",
			Severity:  SeverityWarning,
			Scenarios: []string{"hello"},
			Check:     checkCloseNormal,
		},
	}
}

// RuleByID returns the rule with the given id from [Rules], or nil.
func RuleByID(id string) *Rule {
	for _, r := range Rules() {
		if r.ID == id {
			return r
		}
	}
	return nil
}
