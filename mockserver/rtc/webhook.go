package rtc

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Webhooks are signed as OpenAI signs them, after the Standard Webhooks
// scheme: the headers webhook-id, webhook-timestamp (Unix seconds) and
// webhook-signature "v1,<base64 HMAC-SHA256 of id.timestamp.body>". The
// key is the secret's bytes after "whsec_", base64-decoded, or the whole
// secret as bytes when it lacks the prefix, as the SDKs read it
// (openai-node src/resources/webhooks.ts, verifySignature).

// webhookSecretPrefix starts the secrets OpenAI issues for webhooks.
const webhookSecretPrefix = "whsec_"

// webhookUserAgent is the User-Agent OpenAI's webhooks come with (the SIP
// guide's example request).
const webhookUserAgent = "OpenAI/1.0 (+https://platform.openai.com/docs/webhooks)"

// webhookTimeout bounds one delivery when the caller's context does not.
const webhookTimeout = 10 * time.Second

// WebhookKey returns the HMAC key of a webhook secret: the base64 after
// "whsec_", or the secret's own bytes without that prefix.
func WebhookKey(secret string) ([]byte, error) {
	if secret == "" {
		return nil, errors.New("rtc: webhook secret is empty")
	}
	rest, ok := strings.CutPrefix(secret, webhookSecretPrefix)
	if !ok {
		return []byte(secret), nil
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("rtc: webhook secret: the part after %q is not base64", webhookSecretPrefix)
	}
	return key, nil
}

// SignWebhook returns the webhook-signature header of a delivery: "v1,"
// and the base64 HMAC-SHA256, under the secret's key, of
// "<webhook-id>.<webhook-timestamp>.<body>".
func SignWebhook(secret, id string, timestamp int64, body []byte) (string, error) {
	key, err := WebhookKey(secret)
	if err != nil {
		return "", err
	}
	return "v1," + base64.StdEncoding.EncodeToString(webhookMAC(key, id, timestamp, body)), nil
}

func webhookMAC(key []byte, id string, timestamp int64, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(strconv.FormatInt(timestamp, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// VerifyWebhook checks a delivery's headers against body and secret as
// the SDKs' unwrap does: one of the space-separated "v1,…" signatures
// must match, and the timestamp must lie within tolerance of now. For
// tests of receivers, and of the mock itself.
func VerifyWebhook(secret string, header http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	key, err := WebhookKey(secret)
	if err != nil {
		return err
	}
	id, ts, sigs := header.Get("webhook-id"), header.Get("webhook-timestamp"), header.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return errors.New("rtc: webhook: missing webhook-id, webhook-timestamp or webhook-signature")
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("rtc: webhook: invalid webhook-timestamp")
	}
	if d := now.Sub(time.Unix(secs, 0)); d > tolerance || d < -tolerance {
		return errors.New("rtc: webhook: timestamp outside the tolerance")
	}
	want := webhookMAC(key, id, secs, body)
	for _, s := range strings.Fields(sigs) {
		got, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "v1,"))
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("rtc: webhook: no signature matches")
}

// checkWebhookURL accepts absolute http and https URLs.
func checkWebhookURL(u string) error {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return fmt.Errorf("%w: %q is not an http or https URL", ErrWebhookURL, u)
	}
	return nil
}

// deliver posts one signed webhook event and fills in what came of it.
// It holds no lock: the receiver may call the call-control routes before
// it answers, as the SIP guide's sample does.
func (h *Handler) deliver(ctx context.Context, d *Delivery, body []byte, at time.Time) error {
	sig, err := SignWebhook(h.secret, d.WebhookID, at.Unix(), body)
	if err != nil {
		return err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, webhookTimeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", webhookUserAgent)
	req.Header.Set("webhook-id", d.WebhookID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := h.webhookClient.Do(req)
	if err != nil {
		d.Error = err.Error()
		return fmt.Errorf("%w: %v", ErrWebhookFailed, err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	d.Status = resp.StatusCode
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		d.Error = "the receiver answered " + resp.Status
		return fmt.Errorf("%w: %s answered %s", ErrWebhookFailed, d.URL, resp.Status)
	}
	return nil
}
