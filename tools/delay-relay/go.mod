module hellobench.local/tools/delay-relay

go 1.22
