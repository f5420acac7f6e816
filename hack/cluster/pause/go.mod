module pymode.dev/cluster/pause

go 1.24
