package gslb

import "math"

// pickGeo serves the nearest site that has a candidate: the client's
// location comes from the GeoIP database (nil: none configured), the sites'
// from the route; WRR within the site. A client the database does not locate
// gets the route's site order, then the whole pool. The answer depends on
// the database network that holds the client.
func (set *answerSet) pickGeo(rt *route, c *client, db *geoDB, r Rand) int {
	a, _ := c.address()
	loc, scope, ok := db.locate(a)
	c.depends(scope)
	if !ok {
		return set.pickFallback(rt, r)
	}
	best, bestD := -1, math.Inf(1)
	for s := range set.groups {
		if set.groups[s].pick == nil || !rt.loc[s].ok {
			continue
		}
		if d := haversine(loc, rt.loc[s]); d < bestD {
			best, bestD = s, d
		}
	}
	if i, ok := set.pickSite(best, r); ok {
		return i
	}
	return set.pickFallback(rt, r)
}

// haversine is the haversine of the central angle between two points: it
// grows with the great-circle distance, so comparing it compares distances
// (the arcsine that turns it into kilometres is not needed).
func haversine(a, b geoPoint) float64 {
	sLat := math.Sin((b.lat - a.lat) / 2)
	sLon := math.Sin((b.lon - a.lon) / 2)
	return sLat*sLat + a.cosLat*b.cosLat*sLon*sLon
}
