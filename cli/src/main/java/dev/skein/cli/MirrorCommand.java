package dev.skein.cli;

import dev.skein.proto.v1.CreateMirrorLinkRequest;
import dev.skein.proto.v1.DeleteMirrorLinkRequest;
import dev.skein.proto.v1.DescribeMirrorLinkRequest;
import dev.skein.proto.v1.DescribeMirrorLinkResponse;
import dev.skein.proto.v1.ListMirrorLinksRequest;
import dev.skein.proto.v1.MirrorLinkListing;
import dev.skein.proto.v1.MirrorLinkSpec;
import dev.skein.proto.v1.MirrorPartitionStatus;
import dev.skein.proto.v1.MirrorServiceGrpc;
import dev.skein.proto.v1.MirrorTopic;
import dev.skein.proto.v1.PauseMirrorLinkRequest;
import dev.skein.proto.v1.PromoteMirrorTopicsRequest;
import dev.skein.proto.v1.ResumeMirrorLinkRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import dev.skein.client.BrokerAddress;
import dev.skein.client.ClientConfig;
import dev.skein.client.internal.BrokerChannels;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code skein mirror create|list|describe|pause|resume|promote|delete}: mirror links run by this (destination) cluster. */
@Command(name = "mirror", mixinStandardHelpOptions = true,
    description = {"Mirror links: this cluster (the destination) copies topics of another Skein cluster (the source) "
        + "at the same offsets, and the committed offsets of chosen groups. --bootstrap names the destination.",
        "Mirror topics refuse producers until promoted."},
    subcommands = {MirrorCommand.Create.class, MirrorCommand.ListLinks.class, MirrorCommand.Describe.class,
        MirrorCommand.Pause.class, MirrorCommand.Resume.class, MirrorCommand.Promote.class, MirrorCommand.Delete.class})
final class MirrorCommand implements Runnable {

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Calls the MirrorService of the first bootstrap broker that answers. */
  static <T> T call(ClientOptions client, Function<MirrorServiceGrpc.MirrorServiceBlockingStub, T> call) {
    StatusRuntimeException last = null;
    ClientConfig config = ClientConfig.from(client.settings());
    for (BrokerAddress address : config.bootstrap()) {
      BrokerChannels channels = new BrokerChannels(config.tls(), config.sasl());
      ManagedChannel channel = channels.channel(address);
      try {
        return call.apply(MirrorServiceGrpc.newBlockingStub(channel)
            .withDeadlineAfter(client.requestTimeoutMs, TimeUnit.MILLISECONDS));
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != io.grpc.Status.Code.UNAVAILABLE) {
          throw e;
        }
        last = e;
      } finally {
        channels.close();
      }
    }
    throw last;
  }

  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Create a link from a source cluster; matching source topics become mirror topics here.")
  static final class Create implements Callable<Integer> {
    @Mixin
    ClientOptions client;
    @Spec
    CommandSpec spec;
    @Option(names = "--link", required = true, description = "Name of the link.")
    String name;
    @Option(names = "--source", required = true, paramLabel = "HOST:PORT[,HOST:PORT...]",
        description = "Bootstrap addresses of the source cluster.")
    String sourceBootstrap;
    @Option(names = "--topic", paramLabel = "NAME", description = "A source topic to mirror (repeatable).")
    List<String> topics = new ArrayList<>();
    @Option(names = "--include", paramLabel = "REGEX", description = "Mirror every source topic whose name matches.")
    String include = "";
    @Option(names = "--exclude", paramLabel = "REGEX", description = "But not those whose name matches this.")
    String exclude = "";
    @Option(names = "--group", paramLabel = "GROUP", description = "A group whose committed offsets are copied (repeatable).")
    List<String> groups = new ArrayList<>();
    @Option(names = "--group-include", paramLabel = "REGEX", description = "Copy offsets of every matching group.")
    String groupRegex = "";
    @Option(names = "--max-bytes-per-second", paramLabel = "BYTES", defaultValue = "0",
        description = "Read at most this many bytes per second from the source (0: no limit).")
    long maxBytesPerSecond;
    @Option(names = "--sync-interval-ms", paramLabel = "MS", defaultValue = "5000",
        description = "How often topics, configs, partitions and group offsets are synced (default: ${DEFAULT-VALUE}).")
    int syncIntervalMs;
    @Option(names = "--source-security-protocol", paramLabel = "PLAINTEXT|SSL", defaultValue = "PLAINTEXT",
        description = "How the destination brokers reach the source: SSL for a source with TLS (they present their "
            + "own broker certificate to a source that asks for one). Default: ${DEFAULT-VALUE}.")
    String sourceSecurityProtocol;
    @Option(names = "--source-ssl-ca-location", paramLabel = "PEM",
        description = "CA certificates trusted for the source brokers (read here and stored in the link, so no broker "
            + "needs the file); implies SSL. Without it, SSL trusts the JDK's default CAs.")
    Path sourceCaLocation;
    @Option(names = "--source-ssl-use-broker-certificate",
        description = "Present each destination broker's own certificate to the source, for a source that requires "
            + "client certificates (it must trust the destination's CA); implies SSL.")
    boolean sourceUseBrokerCertificate;
    @Option(names = "--validate-only", description = "Check the link without creating it.")
    boolean validateOnly;

    @Override
    public Integer call() throws IOException {
      if (!sourceSecurityProtocol.equalsIgnoreCase("PLAINTEXT") && !sourceSecurityProtocol.equalsIgnoreCase("SSL")) {
        throw new IllegalArgumentException("--source-security-protocol must be PLAINTEXT or SSL, got "
            + sourceSecurityProtocol);
      }
      MirrorLinkSpec.Builder link = MirrorLinkSpec.newBuilder().setName(name).addAllTopics(topics)
          .setIncludeRegex(include).setExcludeRegex(exclude).addAllGroups(groups).setGroupRegex(groupRegex)
          .setMaxBytesPerSecond(maxBytesPerSecond).setSyncIntervalMs(syncIntervalMs)
          // A CA or the broker's certificate implies TLS: the broker applies that rule, not each client.
          .setSourceTls(sourceSecurityProtocol.equalsIgnoreCase("SSL"))
          .setSourceUseBrokerCertificate(sourceUseBrokerCertificate);
      if (sourceCaLocation != null) {
        if (!Files.isReadable(sourceCaLocation)) {
          throw new IllegalArgumentException("--source-ssl-ca-location " + sourceCaLocation + " is not a readable file");
        }
        link.setSourceCaPem(pemCertificates(sourceCaLocation));
      }
      for (String address : sourceBootstrap.split(",")) {
        link.addSourceBootstrap(address.trim());
      }
      MirrorCommand.call(client, stub -> stub.createMirrorLink(CreateMirrorLinkRequest.newBuilder().setLink(link)
          .setValidateOnly(validateOnly).build()));
      spec.commandLine().getOut().println((validateOnly ? "Valid mirror link " : "Created mirror link ") + name);
      return 0;
    }
  }

  /**
   * The certificates of a CA file, encoded again as plain PEM: bundles may hold comments and
   * text in any encoding, which have no place in the metadata.
   */
  static String pemCertificates(Path file) throws IOException {
    Collection<? extends Certificate> certificates;
    try (InputStream in = Files.newInputStream(file)) {
      certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
    } catch (CertificateException e) {
      throw new IllegalArgumentException("--source-ssl-ca-location " + file + " is not a PEM certificate bundle: "
          + e.getMessage(), e);
    }
    if (certificates.isEmpty()) {
      throw new IllegalArgumentException("--source-ssl-ca-location " + file + " holds no PEM certificate");
    }
    Base64.Encoder base64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
    StringBuilder pem = new StringBuilder();
    for (Certificate certificate : certificates) {
      try {
        pem.append("-----BEGIN CERTIFICATE-----\n").append(base64.encodeToString(certificate.getEncoded()))
            .append("\n-----END CERTIFICATE-----\n");
      } catch (CertificateEncodingException e) {
        throw new IllegalArgumentException("cannot encode a certificate of " + file + ": " + e.getMessage(), e);
      }
    }
    return pem.toString();
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List links: LINK SOURCE STATE TOPICS.")
  static final class ListLinks implements Callable<Integer> {
    @Mixin
    ClientOptions client;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
      GroupCommand.Table table = new GroupCommand.Table("LINK", "SOURCE", "STATE", "TOPICS");
      for (MirrorLinkListing l : MirrorCommand.call(client, stub -> stub.listMirrorLinks(
          ListMirrorLinksRequest.getDefaultInstance())).getLinksList()) {
        table.row(l.getLink().getName(), String.join(",", l.getLink().getSourceBootstrapList()),
            l.getPaused() ? "PAUSED" : "RUNNING", Integer.toString(l.getTopicsCount()));
      }
      table.print(spec.commandLine().getOut());
      return 0;
    }
  }

  @Command(name = "describe", mixinStandardHelpOptions = true,
      description = "Per partition: source and destination log end offsets, lag in records and in ms of record "
          + "time, state, and why a partition is not being copied.")
  static final class Describe implements Callable<Integer> {
    @Mixin
    ClientOptions client;
    @Spec
    CommandSpec spec;
    @Option(names = "--link", required = true)
    String name;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      DescribeMirrorLinkResponse d = MirrorCommand.call(client, stub -> stub.describeMirrorLink(
          DescribeMirrorLinkRequest.newBuilder().setName(name).build()));
      MirrorLinkSpec link = d.getLink().getLink();
      out.println("Link " + link.getName() + " from " + String.join(",", link.getSourceBootstrapList())
          + (link.getSourceTls() ? " (TLS)" : "")
          + (d.getLink().getPaused() ? " (paused)" : "")
          + (link.getMaxBytesPerSecond() > 0 ? ", at most " + link.getMaxBytesPerSecond() + " bytes/s" : ""));
      if (d.hasSourceError()) {
        out.println("Source unreachable: " + d.getSourceError().getMessage());
      }
      if (d.getMissingSourceTopicsCount() > 0) {
        out.println("Missing at the source: " + String.join(", ", d.getMissingSourceTopicsList()));
      }
      for (MirrorTopic t : d.getLink().getTopicsList()) {
        out.println("Topic " + t.getName() + ": " + t.getState().name().replace("MIRROR_TOPIC_STATE_", ""));
      }
      GroupCommand.Table table = new GroupCommand.Table("TOPIC", "PARTITION", "SOURCE-END", "DEST-END", "LAG",
          "LAG-MS", "STATE", "LEADER", "ERROR");
      for (MirrorPartitionStatus p : d.getPartitionsList()) {
        table.row(p.getTopic(), Integer.toString(p.getPartition()), number(p.getSourceLogEndOffset()),
            number(p.getDestinationLogEndOffset()), Long.toString(p.getLagRecords()), number(p.getLagMs()),
            p.getState().name().replace("MIRROR_PARTITION_STATE_", ""), Integer.toString(p.getLeaderId()),
            p.hasError() ? p.getError().getReason() + ": " + p.getError().getMessage() : "-");
      }
      table.print(out);
      return 0;
    }

    private static String number(long n) {
      return n < 0 ? "-" : Long.toString(n);
    }
  }

  @Command(name = "pause", mixinStandardHelpOptions = true, description = "Stop copying; mirror topics stay read-only.")
  static final class Pause implements Callable<Integer> {
    @Mixin
    ClientOptions client;
    @Spec
    CommandSpec spec;
    @Option(names = "--link", required = true)
    String name;

    @Override
    public Integer call() {
      MirrorCommand.call(client, stub -> stub.pauseMirrorLink(PauseMirrorLinkRequest.newBuilder().setName(name).build()));
      spec.commandLine().getOut().println("Paused mirror link " + name);
      return 0;
    }
  }

  @Command(name = "resume", mixinStandardHelpOptions = true, description = "Resume copying from each partition's log end.")
  static final class Resume implements Callable<Integer> {
    @Mixin
    ClientOptions client;
    @Spec
    CommandSpec spec;
    @Option(names = "--link", required = true)
    String name;

    @Override
    public Integer call() {
      MirrorCommand.call(client, stub -> stub.resumeMirrorLink(ResumeMirrorLinkRequest.newBuilder().setName(name).build()));
      spec.commandLine().getOut().println("Resumed mirror link " + name);
      return 0;
    }
  }

  @Command(name = "promote", mixinStandardHelpOptions = true,
      description = "Stop mirroring a topic (or every topic of the link) and make it writable (failover).")
  static final class Promote implements Callable<Integer> {
    @Mixin
    ClientOptions client;
    @Spec
    CommandSpec spec;
    @Option(names = "--link", required = true)
    String name;
    @Option(names = "--topic", paramLabel = "NAME", description = "Topic to promote (repeatable; default: all).")
    List<String> topics = new ArrayList<>();

    @Override
    public Integer call() {
      List<String> promoted = MirrorCommand.call(client, stub -> stub.promoteMirrorTopics(
          PromoteMirrorTopicsRequest.newBuilder().setLink(name).addAllTopics(topics).build())).getPromotedList();
      spec.commandLine().getOut().println(promoted.isEmpty() ? "Nothing to promote"
          : "Promoted " + String.join(", ", promoted));
      return 0;
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true,
      description = "Delete a link. Its mirror topics stay, with what they have, and become writable.")
  static final class Delete implements Callable<Integer> {
    @Mixin
    ClientOptions client;
    @Spec
    CommandSpec spec;
    @Option(names = "--link", required = true)
    String name;

    @Override
    public Integer call() {
      MirrorCommand.call(client, stub -> stub.deleteMirrorLink(DeleteMirrorLinkRequest.newBuilder().setName(name).build()));
      spec.commandLine().getOut().println("Deleted mirror link " + name);
      return 0;
    }
  }
}
