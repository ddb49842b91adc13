module example.com/textagent

go 1.26.8

require (
	github.com/coder/websocket v1.8.15
	github.com/rtmock/rtmock v0.0.0
)

require gopkg.in/yaml.v3 v3.0.1 // indirect

replace github.com/rtmock/rtmock => ../..
