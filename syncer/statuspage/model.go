package statuspage

// The summary endpoint's JSON (GET /status/api/v1/summary, documented in
// README.md): the same data the HTML page shows.

import (
	"time"

	"github.com/gslbdns/gslb/syncer/delegation"
	"github.com/gslbdns/gslb/syncer/gslbctl"
)

// Summary is one page of the records and the syncer's state.
type Summary struct {
	Now         time.Time          `json:"now"`
	Generation  uint64             `json:"generation"` // of the table shown; 0 before the first
	Records     RecordPage         `json:"records"`
	Probes      ProbeState         `json:"probes"`
	Delegation  *delegation.Status `json:"delegation"` // null when this syncer keeps none
	Targets     []TargetState      `json:"targets"`
	Clusters    []ClusterState     `json:"clusters"` // member clusters (Kubernetes source); empty otherwise
	Transitions []Transition       `json:"transitions"`
	Answers     *AnswersState      `json:"answers"` // null without --status-answers
}

// RecordPage is the records matching Query, one page of them.
type RecordPage struct {
	Query    string   `json:"query"`
	Total    int      `json:"total"`   // records in the table
	Matched  int      `json:"matched"` // records whose name contains the query
	Page     int      `json:"page"`    // from 1
	PageSize int      `json:"pageSize"`
	Pages    int      `json:"pages"`
	Items    []Record `json:"items"`
}

// Record is one record of the table.
type Record struct {
	FQDN         string   `json:"fqdn"`
	TTL          uint32   `json:"ttl"`
	Algorithm    string   `json:"algorithm"`
	DownResponse string   `json:"downResponse"`
	Origin       string   `json:"origin,omitempty"`
	Stale        *Stale   `json:"stale,omitempty"`
	Members      []Member `json:"members"`
}

// Member is one member of a record.
type Member struct {
	Address  string `json:"address,omitempty"`
	Hostname string `json:"hostname,omitempty"`
	Cluster  string `json:"cluster,omitempty"`
	Site     string `json:"site,omitempty"`
	Weight   uint32 `json:"weight"`
	// EffectiveWeight is the weight the plugin answers with now: 0 when
	// the member is down, drained or not at the best priority served.
	EffectiveWeight uint32    `json:"effectiveWeight"`
	Priority        uint32    `json:"priority"`
	Health          string    `json:"health"` // up, down or unknown
	Reason          string    `json:"reason,omitempty"`
	Since           time.Time `json:"since,omitzero"` // when the probes decided the health
	Drained         bool      `json:"drained"`
	Stale           *Stale    `json:"stale,omitempty"`
	// Answers is what the member got in the last interval scraped, and its
	// share of the record's answers then (null: no chart, or the record got
	// no answers then).
	Answers *MemberAnswers `json:"answers,omitempty"`
}

// MemberAnswers is a member's answers in the last interval.
type MemberAnswers struct {
	Count uint32  `json:"count"`
	Share float64 `json:"share"` // 0..1
}

// Stale says the syncer keeps something it cannot see now.
type Stale struct {
	Since  time.Time `json:"since"`
	Reason string    `json:"reason"`
}

// ProbeState is this syncer's role in its site's probes.
type ProbeState struct {
	Shared bool   `json:"shared"` // false: it probes alone (no --health-listen)
	Role   string `json:"role"`   // leader, follower, alone or waiting
	Leader string `json:"leader,omitempty"`
	Self   bool   `json:"self"`
}

// TargetState is the sync state of one plugin pushed to.
type TargetState struct {
	Target            string    `json:"target"`
	Synced            bool      `json:"synced"` // the plugin holds the newest table
	AckedVersion      uint32    `json:"ackedVersion"`
	AckedGeneration   uint64    `json:"ackedGeneration"`
	DesiredGeneration uint64    `json:"desiredGeneration"`
	AckedAt           time.Time `json:"ackedAt,omitzero"`
	AckedRecords      uint32    `json:"ackedRecords"`
	LastError         string    `json:"lastError,omitempty"`
}

// ClusterState is one member cluster's sync state.
type ClusterState struct {
	Cluster string `json:"cluster"`
	Up      bool   `json:"up"` // answers and its watches are synced
}

// RecordDetail is one record with its chart and, for a client address,
// what the plugin answers it (as gslbctl explain).
type RecordDetail struct {
	Now        time.Time            `json:"now"`
	Generation uint64               `json:"generation"`
	Record     Record               `json:"record"`
	Chart      []Interval           `json:"chart"` // oldest first; counts per member in Record.Members' order
	Every      string               `json:"every,omitempty"`
	Client     string               `json:"client,omitempty"`
	Explain    *gslbctl.Explanation `json:"explain,omitempty"`
	ClientErr  string               `json:"clientError,omitempty"`
}
