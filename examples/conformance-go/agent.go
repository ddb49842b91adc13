// Package textagent is a small realtime client, as a user's own module
// would have one: it asks for one spoken answer to a typed question and
// hangs up when the answer is complete.
package textagent

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/coder/websocket"
)

// Ask connects to url with key, sends the question as a user message,
// asks for a response and returns its transcript when the response is
// done. It closes the session with 1000.
func Ask(ctx context.Context, url, key, question string) (string, error) {
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"api-key": {key}}})
	if err != nil {
		return "", err
	}
	defer conn.CloseNow()
	conn.SetReadLimit(16 << 20)
	send := func(v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		return conn.Write(ctx, websocket.MessageText, b)
	}
	item := map[string]any{"type": "message", "role": "user", "content": []any{map[string]any{"type": "input_text", "text": question}}}
	if err := send(map[string]any{"type": "conversation.item.create", "item": item}); err != nil {
		return "", err
	}
	if err := send(map[string]any{"type": "response.create"}); err != nil {
		return "", err
	}
	transcript := ""
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			return "", err
		}
		var ev struct {
			Type     string `json:"type"`
			Delta    string `json:"delta"`
			Response struct {
				Status string `json:"status"`
			} `json:"response"`
		}
		if err := json.Unmarshal(data, &ev); err != nil {
			return "", err
		}
		switch ev.Type {
		case "response.audio_transcript.delta", "response.output_audio_transcript.delta", "response.text.delta", "response.output_text.delta":
			transcript += ev.Delta
		case "response.done":
			if ev.Response.Status != "completed" {
				return transcript, fmt.Errorf("response %s", ev.Response.Status)
			}
			return transcript, conn.Close(websocket.StatusNormalClosure, "")
		}
	}
}
