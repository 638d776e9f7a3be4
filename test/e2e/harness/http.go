package harness

import (
	"fmt"
	"io"
	"net/http"
	"time"
)

var httpClient = &http.Client{Timeout: 5 * time.Second}

// HTTPGet fetches url and returns the status code and body.
func HTTPGet(url string) (int, string, error) { return httpGet(httpClient, url) }

func httpGet(c *http.Client, url string) (int, string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, string(b), fmt.Errorf("reading %s: %v", url, err)
	}
	return resp.StatusCode, string(b), nil
}
