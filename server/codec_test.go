package server

import (
	"bytes"
	"testing"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"google.golang.org/protobuf/proto"
)

func TestPreEncoded(t *testing.T) {
	want, err := proto.Marshal(&gpb.SubscribeResponse{Response: &gpb.SubscribeResponse_Update{Update: &gpb.Notification{
		Timestamp: 42, Update: []*gpb.Update{{Path: &gpb.Path{Elem: []*gpb.PathElem{{Name: "system"}}}, Val: strVal("x")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	m := newPreEncoded(want)
	// Under the server's codec the bytes go out as they are, not a copy.
	bs, err := newCodec().Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if got := bs.Materialize(); !bytes.Equal(got, want) || len(bs) != 1 || &bs[0].ReadOnlyData()[0] != &want[0] {
		t.Errorf("codec: got %d buffers %x, want the original bytes %x", len(bs), got, want)
	}
	// Under any other codec it is the message its bytes encode.
	got, err := proto.Marshal(m)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("proto.Marshal: %x, %v; want %x", got, err, want)
	}
	// Other messages are the proto codec's.
	sync := &gpb.SubscribeResponse{Response: &gpb.SubscribeResponse_SyncResponse{SyncResponse: true}}
	bs, err = newCodec().Marshal(sync)
	if want, _ := proto.Marshal(sync); err != nil || !bytes.Equal(bs.Materialize(), want) {
		t.Errorf("codec on a plain message: %x, %v; want %x", bs.Materialize(), err, want)
	}
}
