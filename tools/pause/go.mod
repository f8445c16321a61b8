module hellobench.local/tools/pause

go 1.22
