package dev.skein.broker.tls;

import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Lets a call through only on a TLS connection whose peer presented a certificate the trust
 * bundle accepted (the TLS layer has already verified it, or the handshake would have failed).
 * Guards the replication service on a TLS broker: the client port asks every peer for a
 * certificate but only brokers (and clients given certificates by the same CA) have one.
 * Telling broker certificates from client certificates is for principals and ACLs, later.
 */
public final class BrokerCertificateRequired implements ServerInterceptor {

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (session == null) {
      return refuse(call, "replication needs TLS with a broker certificate; this connection is plaintext");
    }
    try {
      if (session.getPeerCertificates().length == 0) {
        return refuse(call, "replication needs a broker certificate; this connection presented none");
      }
    } catch (SSLPeerUnverifiedException e) {
      return refuse(call, "replication needs a broker certificate; this connection presented none");
    }
    return next.startCall(call, headers);
  }

  private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, String why) {
    call.close(Status.UNAUTHENTICATED.withDescription(why), new Metadata());
    return new ServerCall.Listener<>() {};
  }
}
