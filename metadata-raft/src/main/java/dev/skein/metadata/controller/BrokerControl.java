package dev.skein.metadata.controller;

import dev.skein.metadata.image.BrokerRegistration;
import dev.skein.metadata.image.ClusterImage;
import dev.skein.proto.internal.v1.AllocateProducerIdsRequest;
import dev.skein.proto.internal.v1.AllocateProducerIdsResult;
import dev.skein.proto.internal.v1.BrokerHeartbeatRequest;
import dev.skein.proto.internal.v1.BrokerHeartbeatResult;
import dev.skein.proto.internal.v1.ControllerResponse;
import dev.skein.proto.internal.v1.MetadataRecord;
import dev.skein.proto.internal.v1.ProducerIdsRecord;
import dev.skein.proto.internal.v1.RegisterBrokerRecord;
import dev.skein.proto.internal.v1.RegisterBrokerResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's decisions about brokers: registration, heartbeats (unfencing, controlled
 * shutdown), session expiry, and producer id blocks. Runs on the controller's event thread.
 */
final class BrokerControl {

  private static final Logger LOG = LoggerFactory.getLogger(BrokerControl.class);

  private final ControllerSettings settings;
  private final LongSupplier nanoClock;
  /**
   * A broker another broker reported unreachable is fenced after a quarter of the session
   * timeout without a heartbeat (500 ms by default: two missed heartbeats) rather than the
   * whole session: a broker that is alive keeps heartbeating and is never fenced this way.
   */
  private static final int SUSPECTED_SILENCE_DIVISOR = 4;

  private final BrokerHeartbeats heartbeats;

  BrokerControl(ControllerSettings settings, LongSupplier nanoClock) {
    this.settings = settings;
    this.nanoClock = nanoClock;
    this.heartbeats = new BrokerHeartbeats(nanoClock.getAsLong());
  }

  ControllerDecision registerBroker(RegisterBrokerRecord registration, ClusterImage image) {
    int brokerId = registration.getBrokerId();
    String problem = registrationProblem(registration);
    if (problem != null) {
      return ControllerDecision.answer(ControllerError.INVALID_REQUEST.response(problem));
    }
    Optional<BrokerRegistration> existing = image.brokers().get(brokerId);
    long now = nanoClock.getAsLong();
    if (existing.isPresent()) {
      BrokerRegistration old = existing.get();
      boolean oldIsAlive = !old.fenced()
          && !heartbeats.isExpired(brokerId, old.epoch(), now, settings.sessionTimeout().toNanos());
      if (oldIsAlive && !old.incarnationId().equals(registration.getIncarnationId())) {
        return ControllerDecision.answer(ControllerError.DUPLICATE_BROKER_REGISTRATION.response(
            "broker " + brokerId + " is registered by another live process (incarnation " + old.incarnationId()
                + "); it is fenced if it stays silent for " + settings.sessionTimeout().toMillis() + " ms"));
      }
    }
    List<MetadataRecord> records = new ArrayList<>();
    records.add(MetadataRecord.newBuilder().setRegisterBroker(registration).build());
    if (existing.isPresent() && !existing.get().fenced()) {
      // The old incarnation is gone: what it led must move now, not when its session expires.
      records.addAll(LeadershipChanges.brokerLeaving(image, brokerId));
    }
    return new ControllerDecision(records, (index, after) -> {
      heartbeats.touch(brokerId, index, nanoClock.getAsLong());
      LOG.info("Registered broker {} at {}:{} with epoch {}", brokerId, registration.getHost(),
          registration.getPort(), index);
      return ControllerResponse.newBuilder()
          .setRegisterBroker(RegisterBrokerResult.newBuilder().setBrokerEpoch(index))
          .build();
    });
  }

  private static String registrationProblem(RegisterBrokerRecord registration) {
    if (registration.getBrokerId() < 0) {
      return "broker id " + registration.getBrokerId() + " is negative";
    }
    if (registration.getIncarnationId().isEmpty()) {
      return "registration has no incarnation id";
    }
    if (registration.getHost().isEmpty()) {
      return "registration has no host";
    }
    if (registration.getPort() < 1 || registration.getPort() > 65535) {
      return "port " + registration.getPort() + " is not a TCP port";
    }
    return null;
  }

  ControllerDecision heartbeat(BrokerHeartbeatRequest request, ClusterImage image) {
    int brokerId = request.getBrokerId();
    Optional<BrokerRegistration> current = currentBroker(image, brokerId, request.getBrokerEpoch());
    if (current.isEmpty()) {
      return ControllerDecision.answer(ControllerResponse.newBuilder()
          .setBrokerHeartbeat(BrokerHeartbeatResult.newBuilder().setFenced(true).setUnknownBrokerEpoch(true))
          .build());
    }
    BrokerRegistration broker = current.get();
    long now = nanoClock.getAsLong();
    heartbeats.touch(brokerId, broker.epoch(), now);
    for (int suspect : request.getUnreachableBrokersList()) {
      if (suspect != brokerId) {
        heartbeats.suspect(suspect, now);
      }
    }
    List<MetadataRecord> records = new ArrayList<>();
    boolean unfencing = false;
    if (request.getWantShutdown()) {
      if (!broker.fenced() || !broker.inControlledShutdown()) {
        // Kafka fences a broker in controlled shutdown once it leads nothing; here the
        // leaderships move in the same batch, so both happen at once.
        LOG.info("Broker {} is shutting down: moving its leaderships away", brokerId);
        records.add(MetadataRecords.brokerChange(brokerId, broker.epoch(), true, true));
        records.addAll(LeadershipChanges.brokerLeaving(image, brokerId));
      }
    } else if (request.getWantUnfence() && broker.fenced() && !broker.inControlledShutdown()
        && request.getAppliedIndex() >= broker.epoch()) {
      LOG.info("Unfencing broker {} (epoch {})", brokerId, broker.epoch());
      records.add(MetadataRecords.brokerChange(brokerId, broker.epoch(), false, null));
      records.addAll(LeadershipChanges.brokerJoining(image, brokerId));
      unfencing = true;
    }
    long epoch = broker.epoch();
    ControllerDecision decision = new ControllerDecision(records,
        (index, after) -> heartbeatResponse(after, brokerId, epoch));
    // An unfenced broker that is still in ISRs (where it was the last member, or left in by an
    // older controller) is a preferred leader that may lead again.
    return unfencing ? decision.thenBalanceLeaders() : decision;
  }

  private static ControllerResponse heartbeatResponse(ClusterImage image, int brokerId, long epoch) {
    BrokerHeartbeatResult.Builder result = BrokerHeartbeatResult.newBuilder();
    Optional<BrokerRegistration> broker = currentBroker(image, brokerId, epoch);
    if (broker.isEmpty()) {
      result.setFenced(true).setUnknownBrokerEpoch(true);
    } else {
      result.setFenced(broker.get().fenced())
          .setInControlledShutdown(broker.get().inControlledShutdown())
          .setShutdownReady(broker.get().inControlledShutdown() && !LeadershipChanges.leadsAny(image, brokerId));
    }
    return ControllerResponse.newBuilder().setBrokerHeartbeat(result).build();
  }

  static Optional<BrokerRegistration> currentBroker(ClusterImage image, int brokerId, long epoch) {
    return image.brokers().get(brokerId).filter(broker -> broker.epoch() == epoch);
  }

  /**
   * The fencing of the first unfenced broker whose session has expired, or empty if there is
   * none. One broker per batch: two brokers' changes to the same partition would conflict.
   */
  Optional<ControllerDecision> fenceExpiredBroker(ClusterImage image) {
    long now = nanoClock.getAsLong();
    long timeout = settings.sessionTimeout().toNanos();
    long suspectedSilence = timeout / SUSPECTED_SILENCE_DIVISOR;
    for (BrokerRegistration broker : image.brokers().brokers().values()) {
      if (broker.fenced()) {
        continue;
      }
      boolean expired = heartbeats.isExpired(broker.id(), broker.epoch(), now, timeout);
      boolean suspected = !expired
          && heartbeats.isSuspectAndSilent(broker.id(), broker.epoch(), now, suspectedSilence, timeout);
      if (expired || suspected) {
        long silentMs = TimeUnit.NANOSECONDS.toMillis(heartbeats.silenceNanos(broker.id(), broker.epoch(), now));
        LOG.info("Fencing broker {} (epoch {}): no heartbeat for {} ms{}", broker.id(), broker.epoch(), silentMs,
            suspected ? ", and another broker reported it unreachable" : "");
        List<MetadataRecord> records = new ArrayList<>();
        records.add(MetadataRecords.brokerChange(broker.id(), broker.epoch(), true, null));
        records.addAll(LeadershipChanges.brokerLeaving(image, broker.id()));
        return Optional.of(new ControllerDecision(records, (index, after) -> ControllerResponse.getDefaultInstance()));
      }
    }
    return Optional.empty();
  }

  ControllerDecision allocateProducerIds(AllocateProducerIdsRequest request, ClusterImage image) {
    if (currentBroker(image, request.getBrokerId(), request.getBrokerEpoch()).isEmpty()) {
      return ControllerDecision.answer(ControllerError.STALE_BROKER_EPOCH.response(
          "broker " + request.getBrokerId() + " epoch " + request.getBrokerEpoch() + " is not current"));
    }
    long first = image.producerIds().nextProducerId();
    int blockSize = settings.producerIdBlockSize();
    MetadataRecord record = MetadataRecord.newBuilder().setProducerIds(ProducerIdsRecord.newBuilder()
        .setBrokerId(request.getBrokerId())
        .setBrokerEpoch(request.getBrokerEpoch())
        .setFirstProducerId(first)
        .setBlockSize(blockSize)).build();
    return new ControllerDecision(List.of(record), (index, after) -> ControllerResponse.newBuilder()
        .setAllocateProducerIds(AllocateProducerIdsResult.newBuilder()
            .setFirstProducerId(first)
            .setBlockSize(blockSize)).build());
  }
}
