package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"

	"github.com/gslbdns/gslb/syncer/health"
	"github.com/gslbdns/gslb/syncer/healthshare"
	"github.com/gslbdns/gslb/syncer/push"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/credentials"
)

// startHealthShare makes the prober one of its site's (syncer/healthshare)
// when --health-listen is given: it listens, puts the address in the
// source's probe election and runs the roles until ctx ends. The prober
// follows (does not probe) until the first role is decided. Without
// --health-listen it does nothing: this syncer probes by itself.
func startHealthShare(ctx context.Context, wg *sync.WaitGroup, cfg config, elected controlPlane, prober *health.Prober,
	reg prometheus.Registerer, log *slog.Logger) error {
	if cfg.healthListen == "" {
		if elected != nil {
			if _, ok := elected.ElectProbeLeader(""); ok {
				return errors.New("--source option probe-lease needs --health-listen (where the probe leader serves its health)")
			}
		}
		return nil
	}
	if elected == nil {
		return errors.New("--health-listen needs a kubernetes source with the probe-lease option")
	}
	opts, err := healthShareOptions(cfg, prober, reg, log)
	if err != nil {
		return err
	}
	err = healthshare.Check(opts)
	var addr string
	if err == nil {
		addr, err = advertised(cfg.healthAdvertise, opts.Listener.Addr())
	}
	if err == nil {
		var ok bool
		if opts.Bound, ok = elected.ElectProbeLeader(addr); !ok {
			err = errors.New("needs the --source option probe-lease=NAMESPACE/NAME (one Lease per site)")
		}
	}
	if err != nil {
		opts.Listener.Close()
		return fmt.Errorf("--health-listen %s: %w", cfg.healthListen, err)
	}
	opts.Election, opts.Identity = elected, addr
	prober.Follow(true)
	log.Info("sharing the probes of the site", "listen", opts.Listener.Addr().String(), "advertise", addr)
	wg.Go(func() {
		if err := healthshare.Run(ctx, opts); err != nil {
			log.Error("health sharing stopped", "err", err)
		}
	})
	return nil
}

// healthShareOptions listens on --health-listen, with mutual TLS when the
// --tls-* files are given.
func healthShareOptions(cfg config, prober *health.Prober, reg prometheus.Registerer, log *slog.Logger) (healthshare.Options, error) {
	o := healthshare.Options{Prober: prober, Logger: log, Registerer: reg}
	if cfg.tls != (push.TLSFiles{}) {
		client, server, err := push.MutualTLS(cfg.tls, healthshare.ServerName)
		if err != nil {
			return o, fmt.Errorf("--health-listen %s: %w", cfg.healthListen, err)
		}
		o.ClientTLS, o.ServerTLS = credentials.NewTLS(client), credentials.NewTLS(server)
	}
	l, err := net.Listen("tcp", cfg.healthListen)
	if err != nil {
		return o, fmt.Errorf("--health-listen: %w", err)
	}
	o.Listener = l
	return o, nil
}

// advertised is where the followers reach this syncer's health: flag, else
// the listener's address, whose unspecified host becomes $POD_IP.
func advertised(flag string, a net.Addr) (string, error) {
	if flag != "" {
		return flag, checkListenAddr(flag)
	}
	ta := a.(*net.TCPAddr)
	if !ta.IP.IsUnspecified() {
		return ta.String(), nil
	}
	ip := os.Getenv("POD_IP")
	if ip == "" {
		return "", errors.New("listening on every address: set --health-advertise HOST:PORT or $POD_IP")
	}
	return net.JoinHostPort(ip, strconv.Itoa(ta.Port)), nil
}
