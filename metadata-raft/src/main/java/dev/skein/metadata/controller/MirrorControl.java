package dev.skein.metadata.controller;

import dev.skein.metadata.image.ClusterImage;
import dev.skein.metadata.image.MirrorsImage;
import dev.skein.metadata.image.TopicImage;
import dev.skein.proto.internal.v1.ControllerResponse;
import dev.skein.proto.internal.v1.CreateMirrorTopicRequest;
import dev.skein.proto.internal.v1.DeleteMirrorLinkRequest;
import dev.skein.proto.internal.v1.MetadataRecord;
import dev.skein.proto.internal.v1.MirrorLinkRecord;
import dev.skein.proto.internal.v1.MirrorTopicRecord;
import dev.skein.proto.internal.v1.ProducerIdsRecord;
import dev.skein.proto.internal.v1.PromoteMirrorTopicsRequest;
import dev.skein.proto.internal.v1.PutMirrorLinkRequest;
import dev.skein.proto.internal.v1.RaiseProducerIdsRequest;
import dev.skein.proto.internal.v1.RemoveMirrorLinkRecord;
import dev.skein.proto.internal.v1.TopicRecord;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The controller's decisions about mirror links and mirror topics. */
final class MirrorControl {

  private static final Logger LOG = LoggerFactory.getLogger(MirrorControl.class);
  private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
  private static final Pattern ADDRESS = Pattern.compile("[^\\s:,]+:\\d{1,5}");

  private final TopicControl topics;

  MirrorControl(TopicControl topics) {
    this.topics = topics;
  }

  /** The problem with a link's settings, if any. */
  static Optional<String> problemWith(MirrorLinkRecord link) {
    if (!NAME.matcher(link.getName()).matches()) {
      return Optional.of("mirror link name '" + link.getName() + "' must be 1 to 249 characters of [a-zA-Z0-9._-]");
    }
    if (link.getSourceBootstrapCount() == 0) {
      return Optional.of("a mirror link needs at least one source address (host:port)");
    }
    for (String address : link.getSourceBootstrapList()) {
      if (!ADDRESS.matcher(address).matches()) {
        return Optional.of("source address '" + address + "' is not host:port");
      }
    }
    if (link.getTopicsCount() == 0 && link.getIncludeRegex().isEmpty()) {
      return Optional.of("a mirror link needs topics to mirror: names, an include regex, or both");
    }
    for (String topic : link.getTopicsList()) {
      Optional<String> problem = TopicNames.problemWith(topic);
      if (problem.isPresent()) {
        return problem;
      }
    }
    for (String regex : List.of(link.getIncludeRegex(), link.getExcludeRegex(), link.getGroupRegex())) {
      try {
        Pattern.compile(regex);
      } catch (PatternSyntaxException e) {
        return Optional.of("regular expression '" + regex + "' does not compile: " + e.getDescription());
      }
    }
    if (link.getMaxBytesPerSecond() < 0) {
      return Optional.of("max_bytes_per_second must be 0 (no limit) or positive, got " + link.getMaxBytesPerSecond());
    }
    if (link.getSyncIntervalMs() < 0 || link.getSyncIntervalMs() > 3_600_000) {
      return Optional.of("sync_interval_ms must be between 0 (default 5000) and 3600000, got "
          + link.getSyncIntervalMs());
    }
    if (!link.getSourceCaPem().isEmpty()) {
      return problemWithCertificates(link.getSourceCaPem());
    }
    return Optional.empty();
  }

  /** Every destination broker will build its trust for the source from this text: it must hold certificates. */
  private static Optional<String> problemWithCertificates(String pem) {
    if (pem.length() > 1 << 20) {
      return Optional.of("source_ca_pem is over 1 MiB");
    }
    try {
      var certificates = CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
      return certificates.isEmpty() ? Optional.of("source_ca_pem holds no PEM certificate") : Optional.empty();
    } catch (CertificateException e) {
      return Optional.of("source_ca_pem is not a list of PEM certificates: " + e.getMessage());
    }
  }

  ControllerDecision putLink(PutMirrorLinkRequest request, ClusterImage image) {
    MirrorLinkRecord link = request.getLink();
    Optional<String> problem = problemWith(link);
    if (problem.isPresent()) {
      return ControllerDecision.answer(ControllerError.INVALID_REQUEST.response(problem.get()));
    }
    boolean exists = image.mirrors().link(link.getName()).isPresent();
    if (request.getCreate() && exists) {
      return ControllerDecision.answer(ControllerError.MIRROR_LINK_ALREADY_EXISTS.response(
          "mirror link '" + link.getName() + "' already exists", Map.of("link", link.getName())));
    }
    if (!request.getCreate() && !exists) {
      return unknownLink(link.getName());
    }
    if (request.getValidateOnly() || link.equals(image.mirrors().links().get(link.getName()))) {
      return ControllerDecision.answer(ControllerResponse.getDefaultInstance());
    }
    // The source's CA certificates can be long; their size says enough here.
    LOG.info("{} mirror link {}: {}{}", request.getCreate() ? "Creating" : "Changing", link.getName(),
        link.toBuilder().clearSourceCaPem().build().toString().replace('\n', ' '),
        link.getSourceCaPem().isEmpty() ? "" : " source_ca_pem: " + link.getSourceCaPem().length() + " characters");
    return new ControllerDecision(List.of(MetadataRecord.newBuilder().setMirrorLink(link).build()),
        (index, after) -> ControllerResponse.getDefaultInstance());
  }

  ControllerDecision deleteLink(DeleteMirrorLinkRequest request, ClusterImage image) {
    if (image.mirrors().link(request.getName()).isEmpty()) {
      return unknownLink(request.getName());
    }
    LOG.info("Deleting mirror link {}", request.getName());
    return new ControllerDecision(List.of(MetadataRecord.newBuilder().setRemoveMirrorLink(
        RemoveMirrorLinkRecord.newBuilder().setName(request.getName())).build()),
        (index, after) -> ControllerResponse.getDefaultInstance());
  }

  ControllerDecision createMirrorTopic(CreateMirrorTopicRequest request, ClusterImage image) {
    if (image.mirrors().link(request.getLink()).isEmpty()) {
      return unknownLink(request.getLink());
    }
    ControllerDecision create = topics.createTopic(request.getTopic(), image);
    if (create.records().isEmpty()) {
      return create;
    }
    TopicRecord topic = create.records().get(0).getTopic();
    List<MetadataRecord> records = new ArrayList<>(create.records());
    records.add(MetadataRecord.newBuilder().setMirrorTopic(MirrorTopicRecord.newBuilder()
        .setTopicId(topic.getTopicId()).setLink(request.getLink())).build());
    return new ControllerDecision(records, create.responder());
  }

  ControllerDecision promote(PromoteMirrorTopicsRequest request, ClusterImage image) {
    if (image.mirrors().link(request.getLink()).isEmpty()) {
      return unknownLink(request.getLink());
    }
    List<MetadataRecord> records = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    if (request.getTopicsCount() == 0) {
      image.mirrors().topics().values().stream()
          .filter(t -> t.link().equals(request.getLink()) && !t.promoted())
          .forEach(t -> ids.add(t.topicId()));
    } else {
      for (String name : request.getTopicsList()) {
        Optional<TopicImage> topic = image.topics().byName(name);
        Optional<MirrorsImage.MirrorTopic> mirror = topic.flatMap(t -> image.mirrors().topic(t.id()));
        if (mirror.isEmpty() || !mirror.get().link().equals(request.getLink())) {
          return ControllerDecision.answer(ControllerError.UNKNOWN_TOPIC.response("topic '" + name
              + "' is not a mirror topic of link '" + request.getLink() + "'", Map.of("topic", name)));
        }
        if (!mirror.get().promoted()) {
          ids.add(mirror.get().topicId());
        }
      }
    }
    ids.stream().sorted().forEach(id -> records.add(MetadataRecord.newBuilder().setMirrorTopic(
        MirrorTopicRecord.newBuilder().setTopicId(id).setLink(request.getLink()).setPromoted(true)).build()));
    LOG.info("Promoting {} mirror topics of link {}", records.size(), request.getLink());
    return new ControllerDecision(records, (index, after) -> ControllerResponse.getDefaultInstance());
  }

  ControllerDecision raiseProducerIds(RaiseProducerIdsRequest request, ClusterImage image) {
    long next = image.producerIds().nextProducerId();
    if (request.getAtLeast() <= next) {
      return ControllerDecision.answer(ControllerResponse.getDefaultInstance());
    }
    // An empty block at the new start moves "next" there without handing out any id.
    return new ControllerDecision(List.of(MetadataRecord.newBuilder().setProducerIds(ProducerIdsRecord.newBuilder()
        .setBrokerId(-1).setFirstProducerId(request.getAtLeast()).setBlockSize(0)).build()),
        (index, after) -> ControllerResponse.getDefaultInstance());
  }

  private static ControllerDecision unknownLink(String name) {
    return ControllerDecision.answer(ControllerError.UNKNOWN_MIRROR_LINK.response(
        "mirror link '" + name + "' does not exist", Map.of("link", name)));
  }
}
