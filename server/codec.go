package server

import (
	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"

	// The proto codec registers itself by being imported.
	_ "google.golang.org/grpc/encoding/proto"
)

// preEncoded is a SubscribeResponse already in wire form, which may be
// shared by many subscribers. Under the server's codec (GRPCOptions) its
// bytes go out as they are: no copy, no pooled buffer to clear per
// subscriber. Under any other codec it marshals as the message it embeds,
// whose unknown fields hold the same bytes.
type preEncoded struct {
	*gpb.SubscribeResponse
	wire []byte
}

func newPreEncoded(wire []byte) preEncoded {
	msg := &gpb.SubscribeResponse{}
	msg.ProtoReflect().SetUnknown(wire)
	return preEncoded{SubscribeResponse: msg, wire: wire}
}

// codec is gRPC's proto codec, which sends a preEncoded message's bytes
// as they are.
type codec struct{ encoding.CodecV2 }

func newCodec() codec { return codec{encoding.GetCodecV2("proto")} }

func (c codec) Marshal(v any) (mem.BufferSlice, error) {
	if m, ok := v.(preEncoded); ok {
		// A SliceBuffer is never returned to a pool: the bytes stay
		// the subscribers' to share.
		return mem.BufferSlice{mem.SliceBuffer(m.wire)}, nil
	}
	return c.CodecV2.Marshal(v)
}
