package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/spf13/cobra"
)

// newHealthcheckCmd returns "rtmock healthcheck": the probe a container
// image without curl runs against the server in it.
func newHealthcheckCmd() *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "healthcheck [URL]",
		Short: "Exit 0 when a running rtmock answers its health endpoint",
		Long: `GET URL (default http://127.0.0.1:8080/healthz) and exit 0 on a 2xx answer,
1 otherwise. Container images have no curl: their HEALTHCHECK runs this.`,
		Example: `  rtmock healthcheck
  rtmock healthcheck http://127.0.0.1:9000/healthz --timeout 1s`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			url := "http://127.0.0.1:8080/healthz"
			if len(args) == 1 {
				url = args[0]
			}
			if timeout <= 0 {
				return usagef("--timeout must be positive")
			}
			return healthcheck(cmd, url, timeout)
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 3*time.Second, "how long to wait for the answer")
	return cmd
}

func healthcheck(cmd *cobra.Command, url string, timeout time.Duration) error {
	parent := cmd.Context()
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return usagef("healthcheck: %v", err)
	}
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Do(req)
	if err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "unhealthy: %v\n", err)
		return errFailed
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		fmt.Fprintf(cmd.ErrOrStderr(), "unhealthy: %s answered %s: %s\n", url, resp.Status, body)
		return errFailed
	}
	fmt.Fprintf(cmd.OutOrStdout(), "healthy: %s answered %s\n", url, resp.Status)
	return nil
}
