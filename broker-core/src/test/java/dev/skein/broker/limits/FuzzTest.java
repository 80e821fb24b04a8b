package dev.skein.broker.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import com.google.protobuf.WireFormat;
import dev.skein.proto.v1.AdminServiceGrpc;
import dev.skein.proto.v1.Compression;
import dev.skein.proto.v1.ConsumerServiceGrpc;
import dev.skein.proto.v1.CreateTopicRequest;
import dev.skein.proto.v1.DescribeTopicsRequest;
import dev.skein.proto.v1.FetchRequest;
import dev.skein.proto.v1.FetchedPartition;
import dev.skein.proto.v1.ListOffsetsRequest;
import dev.skein.proto.v1.ListTopicsRequest;
import dev.skein.proto.v1.OffsetQuery;
import dev.skein.proto.v1.OffsetSpec;
import dev.skein.proto.v1.PartitionBatch;
import dev.skein.proto.v1.PartitionPosition;
import dev.skein.proto.v1.ProduceRequest;
import dev.skein.proto.v1.ProducerServiceGrpc;
import dev.skein.proto.v1.Record;
import dev.skein.proto.v1.RecordBatch;
import dev.skein.proto.v1.RecordSet;
import dev.skein.proto.v1.TopicListing;
import dev.skein.proto.v1.TopicMetadata;
import dev.skein.rpc.RecordCompression;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.ProtoMethodDescriptorSupplier;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded fuzzing of every public RPC: for each method of every {@code skein.v1} service the
 * broker serves (found in its service descriptors, so a new RPC is covered without touching this
 * test), requests built from the method's input type and then broken: truncated, bits flipped,
 * random bytes, fields with the wrong wire type, oversized fields and length prefixes, huge
 * repeated fields, deep groups, unknown fields, the wrong number of messages. They are sent as
 * raw bytes on a plain channel. Every call must end with a status within its deadline, never
 * UNKNOWN or INTERNAL; afterwards the broker is still SERVING, a sentinel topic written before
 * reads back identically, and the heap after a collection is back near where it was.
 *
 * <p>{@code -Dfuzz.seed=N} repeats a run (the seed is printed), {@code -Dfuzz.iterations=N}
 * changes its length (default 2000 calls).
 */
class FuzzTest {

  static final long SEED = Long.getLong("fuzz.seed", System.nanoTime());
  static final int ITERATIONS = Integer.getInteger("fuzz.iterations", 2000);
  /** The broker's max.inbound.message.bytes here: small, so that oversized requests are cheap to send. */
  static final int MAX_MESSAGE = 256 * 1024;
  static final int CONCURRENT_CALLS = 16;
  static final String SENTINEL = "sentinel";

  /** Strings the generator draws from: real names so requests reach deep, odd ones to break things. */
  static final List<String> NAMES = List.of("fuzz-target", "fuzz-group", "__consumer_offsets", "", ".", "..",
      "has space", "ünïcode", "x".repeat(300), "fuzz-link", "localhost:1", "broker:notaport", "(*", ".*");

  enum Mutation {
    VALID, TRUNCATED, BIT_FLIPS, RANDOM_BYTES, WRONG_WIRE_TYPE, OVERSIZED_FIELD, HUGE_LENGTH_PREFIX,
    HUGE_REPEATED, DEEP_GROUPS, UNKNOWN_FIELDS, WRONG_MESSAGE_COUNT
  }

  /** How often each mutation is drawn: big messages are rarer, they cost the most time. */
  static final Map<Mutation, Integer> WEIGHTS = new EnumMap<>(Map.ofEntries(Map.entry(Mutation.VALID, 14),
      Map.entry(Mutation.TRUNCATED, 12), Map.entry(Mutation.BIT_FLIPS, 16), Map.entry(Mutation.RANDOM_BYTES, 10),
      Map.entry(Mutation.WRONG_WIRE_TYPE, 12), Map.entry(Mutation.OVERSIZED_FIELD, 3),
      Map.entry(Mutation.HUGE_LENGTH_PREFIX, 6), Map.entry(Mutation.HUGE_REPEATED, 3),
      Map.entry(Mutation.DEEP_GROUPS, 5), Map.entry(Mutation.UNKNOWN_FIELDS, 8),
      Map.entry(Mutation.WRONG_MESSAGE_COUNT, 5)));

  static final MethodDescriptor.Marshaller<byte[]> RAW = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };

  /** One method to fuzz: its raw-bytes descriptor and its request type. */
  record Target(MethodDescriptor<byte[], byte[]> method, Descriptor input) {}

  /** What became of one call. */
  record Outcome(Target target, Mutation mutation, int iteration, Status status) {}

  @Test
  void everyPublicRpcAnswersBrokenRequestsWithAStatusAndKeepsItsData(@TempDir Path dir) throws Exception {
    System.out.println("FuzzTest: seed " + SEED + " (repeat with -Dfuzz.seed=" + SEED + "), " + ITERATIONS
        + " calls");
    try (OneBroker one = OneBroker.start(dir, ServerLimits.DEFAULT.withMaxInboundMessageBytes(MAX_MESSAGE))) {
      ManagedChannel channel = one.newChannel();
      Snapshot before = writeSentinel(channel);
      AdminServiceGrpc.newBlockingStub(channel).createTopic(
          CreateTopicRequest.newBuilder().setName("fuzz-target").setPartitions(3).build());
      List<Target> targets = publicMethods(one.broker.services());
      assertThat(targets).extracting(t -> t.method().getFullMethodName())
          .contains("skein.v1.ProducerService/ProduceStream", "skein.v1.ConsumerService/Subscribe",
              "skein.v1.AdminService/CreateTopic");
      long heapBefore = usedHeapAfterGc();

      long fuzzStart = System.nanoTime();
      List<Outcome> outcomes = fuzz(channel, targets, new Random(SEED));
      long fuzzMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - fuzzStart);

      Map<Status.Code, Long> byCode = outcomes.stream()
          .collect(Collectors.groupingBy(o -> o.status().getCode(), TreeMap::new, Collectors.counting()));
      System.out.println("FuzzTest: " + outcomes.size() + " calls over " + targets.size() + " methods in " + fuzzMs
          + " ms, statuses " + byCode);
      outcomes.stream().collect(Collectors.groupingBy(Outcome::mutation, TreeMap::new,
              Collectors.groupingBy(o -> o.status().getCode(), TreeMap::new, Collectors.counting())))
          .forEach((mutation, codes) -> System.out.println("FuzzTest:   " + mutation + " " + codes));
      // One example answer per mutation and code, to see what the broker says.
      outcomes.stream().filter(o -> o.status().getCode() != Status.Code.OK)
          .collect(Collectors.toMap(o -> o.mutation() + " " + o.status().getCode(), o -> o, (a, b) -> a, TreeMap::new))
          .forEach((key, o) -> System.out.println("FuzzTest:   e.g. " + key + " " + o.target().method()
              .getBareMethodName() + ": " + String.valueOf(o.status().getDescription())
              .substring(0, Math.min(160, String.valueOf(o.status().getDescription()).length()))));
      List<String> bad = outcomes.stream()
          .filter(o -> o.status().getCode() == Status.Code.UNKNOWN || o.status().getCode() == Status.Code.INTERNAL)
          .map(o -> "#" + o.iteration() + " " + o.target().method().getFullMethodName() + " " + o.mutation() + ": "
              + o.status().getCode() + " " + o.status().getDescription()
              + (o.status().getCause() == null ? "" : " (" + o.status().getCause() + ")"))
          .toList();
      assertThat(bad).as("calls answered UNKNOWN or INTERNAL (seed " + SEED + ")").isEmpty();

      assertThat(HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance()).getStatus()).isEqualTo(ServingStatus.SERVING);
      assertThat(snapshot(channel)).as("the sentinel topic after fuzzing").isEqualTo(before);
      // The fuzzed requests are gone: the heap after a collection is back near where it was.
      await().atMost(Duration.ofSeconds(30)).until(() -> usedHeapAfterGc() < heapBefore + 256L * 1024 * 1024);
    }
  }

  /** Sends ITERATIONS calls, CONCURRENT_CALLS at a time, and waits for every one to end. */
  static List<Outcome> fuzz(ManagedChannel channel, List<Target> targets, Random random) throws Exception {
    List<Outcome> outcomes = Collections.synchronizedList(new ArrayList<>());
    Semaphore slots = new Semaphore(CONCURRENT_CALLS);
    Generator generator = new Generator(random);
    Map<Integer, String> open = new ConcurrentHashMap<>();
    for (int i = 0; i < ITERATIONS; i++) {
      Target target = targets.get(i % targets.size()); // every method in turn
      Mutation mutation = generator.mutation();
      List<byte[]> messages = generator.messages(target, mutation);
      int iteration = i;
      if (!slots.tryAcquire(60, TimeUnit.SECONDS)) {
        throw new AssertionError("calls did not end within their deadlines: " + open.values());
      }
      open.put(iteration, target.method().getFullMethodName() + " " + mutation);
      call(channel, target, messages, status -> {
        outcomes.add(new Outcome(target, mutation, iteration, status));
        open.remove(iteration);
        slots.release();
      });
    }
    if (!slots.tryAcquire(CONCURRENT_CALLS, 60, TimeUnit.SECONDS)) {
      throw new AssertionError("calls did not end within their deadlines: " + open.values());
    }
    return outcomes;
  }

  /** One call with these request messages, then half-close; {@code done} gets its status. */
  static void call(ManagedChannel channel, Target target, List<byte[]> messages,
      java.util.function.Consumer<Status> done) {
    boolean streamsBack = !target.method().getType().serverSendsOneMessage();
    // Server streams (Subscribe) run until their deadline when the request is good.
    long deadlineMs = streamsBack ? 1000 : 8000;
    ClientCall<byte[], byte[]> call = channel.newCall(target.method(),
        CallOptions.DEFAULT.withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS));
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(byte[] message) {
        call.request(1);
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        done.accept(status);
      }
    }, new Metadata());
    call.request(1);
    for (byte[] message : messages) {
      call.sendMessage(message);
    }
    call.halfClose();
  }

  static List<Target> publicMethods(List<ServerServiceDefinition> services) {
    List<Target> targets = new ArrayList<>();
    for (ServerServiceDefinition service : services) {
      if (!service.getServiceDescriptor().getName().startsWith("skein.v1.")) {
        continue;
      }
      for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
        MethodDescriptor<?, ?> descriptor = method.getMethodDescriptor();
        Descriptor input = ((ProtoMethodDescriptorSupplier) descriptor.getSchemaDescriptor()).getMethodDescriptor()
            .getInputType();
        targets.add(new Target(MethodDescriptor.<byte[], byte[]>newBuilder(RAW, RAW)
            .setType(descriptor.getType()).setFullMethodName(descriptor.getFullMethodName()).build(), input));
      }
    }
    targets.sort((a, b) -> a.method().getFullMethodName().compareTo(b.method().getFullMethodName()));
    return targets;
  }

  /** Builds requests from descriptors, then breaks them. */
  static final class Generator {
    private final Random random;
    private final List<Mutation> bag = new ArrayList<>();

    Generator(Random random) {
      this.random = random;
      WEIGHTS.forEach((mutation, weight) -> {
        for (int i = 0; i < weight; i++) {
          bag.add(mutation);
        }
      });
    }

    Mutation mutation() {
      return bag.get(random.nextInt(bag.size()));
    }

    List<byte[]> messages(Target target, Mutation mutation) {
      boolean oneRequest = target.method().getType().clientSendsOneMessage();
      if (mutation == Mutation.WRONG_MESSAGE_COUNT) {
        int count = oneRequest ? (random.nextBoolean() ? 0 : 2 + random.nextInt(2)) : 0;
        List<byte[]> messages = new ArrayList<>();
        for (int i = 0; i < count; i++) {
          messages.add(valid(target.input()).toByteArray());
        }
        return messages;
      }
      int count = oneRequest ? 1 : 1 + random.nextInt(3);
      List<byte[]> messages = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        // In a stream, only the last message is broken: the ones before it are good requests.
        messages.add(i < count - 1 ? valid(target.input()).toByteArray() : mutate(target.input(), mutation));
      }
      return messages;
    }

    byte[] mutate(Descriptor type, Mutation mutation) {
      byte[] valid = valid(type).toByteArray();
      return switch (mutation) {
        case VALID, WRONG_MESSAGE_COUNT -> valid;
        case TRUNCATED -> valid.length == 0 ? new byte[] {(byte) 0x0a} : java.util.Arrays.copyOf(valid,
            random.nextInt(valid.length));
        case BIT_FLIPS -> {
          byte[] flipped = valid.length == 0 ? randomBytes(4) : valid.clone();
          for (int i = 1 + random.nextInt(8); i > 0; i--) {
            flipped[random.nextInt(flipped.length)] ^= (byte) (1 << random.nextInt(8));
          }
          yield flipped;
        }
        case RANDOM_BYTES -> randomBytes(random.nextInt(2048));
        case WRONG_WIRE_TYPE -> wrongWireType(type, valid);
        case OVERSIZED_FIELD -> oversized(type);
        case HUGE_LENGTH_PREFIX -> concat(valid, encode(out -> {
          out.writeTag(fieldNumber(type), WireFormat.WIRETYPE_LENGTH_DELIMITED);
          out.writeUInt32NoTag(random.nextBoolean() ? Integer.MAX_VALUE : MAX_MESSAGE - 1 + random.nextInt(10));
          out.writeRawBytes(randomBytes(random.nextInt(16)));
        }));
        case HUGE_REPEATED -> hugeRepeated(type);
        case DEEP_GROUPS -> concat(valid, encode(out -> {
          int depth = 50 + random.nextInt(300);
          for (int i = 0; i < depth; i++) {
            out.writeTag(1000 + i % 7, WireFormat.WIRETYPE_START_GROUP);
          }
          for (int i = depth - 1; i >= 0; i--) {
            out.writeTag(1000 + i % 7, WireFormat.WIRETYPE_END_GROUP);
          }
        }));
        case UNKNOWN_FIELDS -> concat(valid, encode(out -> {
          for (int i = random.nextInt(6); i >= 0; i--) {
            int number = 500 + random.nextInt(100_000);
            switch (random.nextInt(3)) {
              case 0 -> out.writeUInt64(number, random.nextLong());
              case 1 -> out.writeBytes(number, ByteString.copyFrom(randomBytes(random.nextInt(40))));
              default -> out.writeFixed32(number, random.nextInt());
            }
          }
        }));
      };
    }

    /** A field of the type written with a wire type it does not have. */
    private byte[] wrongWireType(Descriptor type, byte[] valid) {
      int number = fieldNumber(type);
      FieldDescriptor field = type.findFieldByNumber(number);
      int right = field == null ? -1 : field.getLiteType().getWireType();
      int wrong;
      do {
        wrong = random.nextInt(8); // 6 and 7 are not wire types at all
      } while (wrong == right);
      int wireType = wrong;
      byte[] bad = encode(out -> {
        out.writeUInt32NoTag((number << 3) | wireType);
        switch (wireType) {
          case WireFormat.WIRETYPE_VARINT -> out.writeUInt64NoTag(random.nextLong());
          case WireFormat.WIRETYPE_FIXED64 -> out.writeFixed64NoTag(random.nextLong());
          case WireFormat.WIRETYPE_LENGTH_DELIMITED -> out.writeBytesNoTag(ByteString.copyFrom(
              randomBytes(random.nextInt(24))));
          case WireFormat.WIRETYPE_FIXED32 -> out.writeFixed32NoTag(random.nextInt());
          default -> out.writeRawBytes(randomBytes(random.nextInt(8)));
        }
      });
      return random.nextBoolean() ? concat(bad, valid) : concat(valid, bad);
    }

    /** A message with one string or bytes field filled to around the size limit: below, just over, or far over. */
    private byte[] oversized(Descriptor type) {
      int size = switch (random.nextInt(3)) {
        case 0 -> MAX_MESSAGE - 64 - random.nextInt(1000);
        case 1 -> MAX_MESSAGE + 1 + random.nextInt(64 * 1024);
        default -> MAX_MESSAGE + ServerLimits.TRANSPORT_HEADROOM_BYTES + 1 + random.nextInt(64 * 1024);
      };
      List<FieldDescriptor> lengthDelimited = type.getFields().stream()
          .filter(f -> f.getJavaType() == FieldDescriptor.JavaType.STRING
              || f.getJavaType() == FieldDescriptor.JavaType.BYTE_STRING
              || f.getJavaType() == FieldDescriptor.JavaType.MESSAGE)
          .toList();
      int number = lengthDelimited.isEmpty() ? 999 : lengthDelimited.get(random.nextInt(lengthDelimited.size()))
          .getNumber();
      byte[] payload = new byte[size];
      java.util.Arrays.fill(payload, (byte) 'a'); // read as a message: field 12, fixed64, over and over
      return encode(out -> out.writeByteArray(number, payload));
    }

    /** A repeated field (or an unknown one) with as many small entries as fit in about 200 KiB (up to 100,000). */
    private byte[] hugeRepeated(Descriptor type) {
      List<FieldDescriptor> repeated = type.getFields().stream().filter(FieldDescriptor::isRepeated).toList();
      if (repeated.isEmpty()) {
        return encode(out -> {
          for (int i = 0; i < 100_000; i++) {
            out.writeUInt32(999, i);
          }
        });
      }
      FieldDescriptor field = repeated.get(random.nextInt(repeated.size()));
      byte[] entry = encode(out -> writeField(out, field, value(field, 2)));
      int count = Math.max(1, Math.min(100_000, 200 * 1024 / Math.max(1, entry.length)));
      ByteArrayOutputStream out = new ByteArrayOutputStream(entry.length * count);
      for (int i = 0; i < count; i++) {
        out.writeBytes(entry);
      }
      return out.toByteArray();
    }

    /** A well-formed message of the type with random contents. */
    Message valid(Descriptor type) {
      return message(type, 0);
    }

    private Message message(Descriptor type, int depth) {
      DynamicMessage.Builder builder = DynamicMessage.newBuilder(type);
      for (FieldDescriptor field : type.getFields()) {
        if (random.nextInt(10) < 4 || (depth >= 3 && field.getJavaType() == FieldDescriptor.JavaType.MESSAGE)) {
          continue;
        }
        if (field.isRepeated()) {
          for (int i = random.nextInt(4); i > 0; i--) {
            builder.addRepeatedField(field, value(field, depth));
          }
        } else {
          builder.setField(field, value(field, depth));
        }
      }
      return builder.build();
    }

    private Object value(FieldDescriptor field, int depth) {
      return switch (field.getJavaType()) {
        case INT -> interestingInt();
        case LONG -> interestingLong();
        case FLOAT -> (float) interestingDouble();
        case DOUBLE -> interestingDouble();
        case BOOLEAN -> random.nextBoolean();
        case STRING -> string();
        case BYTE_STRING -> field.getName().equals("records") ? recordSet() : ByteString.copyFrom(
            randomBytes(random.nextInt(64)));
        case ENUM -> enumValue(field.getEnumType());
        case MESSAGE -> message(field.getMessageType(), depth + 1);
      };
    }

    private Object enumValue(EnumDescriptor type) {
      if (random.nextInt(5) == 0) {
        return type.findValueByNumberCreatingIfUnknown(random.nextInt(1000) - 500);
      }
      return type.getValues().get(random.nextInt(type.getValues().size()));
    }

    /** Records as a producer would send them, compressed with a random codec (or claiming one it is not). */
    private ByteString recordSet() {
      RecordSet.Builder set = RecordSet.newBuilder();
      for (int i = random.nextInt(5); i >= 0; i--) {
        set.addRecords(Record.newBuilder().setOffsetDelta(random.nextInt(8) == 0 ? random.nextInt(5) : set
                .getRecordsCount())
            .setTimestampMs(interestingLong()).setKey(ByteString.copyFrom(randomBytes(random.nextInt(8))))
            .setValue(ByteString.copyFrom(randomBytes(random.nextInt(200)))));
      }
      ByteString plain = set.build().toByteString();
      Compression codec = List.of(Compression.COMPRESSION_NONE, Compression.COMPRESSION_GZIP,
          Compression.COMPRESSION_SNAPPY, Compression.COMPRESSION_LZ4, Compression.COMPRESSION_ZSTD)
          .get(random.nextInt(5));
      return RecordCompression.compress(codec, plain);
    }

    private String string() {
      int pick = random.nextInt(10);
      if (pick < 4) {
        return NAMES.get(random.nextInt(NAMES.size()));
      }
      if (pick < 9) {
        String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789._-";
        StringBuilder s = new StringBuilder();
        for (int i = 1 + random.nextInt(12); i > 0; i--) {
          s.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return "f" + s; // never the sentinel's name
      }
      return new String(randomBytes(random.nextInt(20)), StandardCharsets.UTF_8);
    }

    private int interestingInt() {
      return switch (random.nextInt(8)) {
        case 0 -> 0;
        case 1 -> -1;
        case 2 -> Integer.MAX_VALUE;
        case 3 -> Integer.MIN_VALUE;
        case 4 -> random.nextInt();
        default -> random.nextInt(8);
      };
    }

    private long interestingLong() {
      return switch (random.nextInt(8)) {
        case 0 -> 0;
        case 1 -> -1;
        case 2 -> Long.MAX_VALUE;
        case 3 -> Long.MIN_VALUE;
        case 4 -> random.nextLong();
        default -> random.nextInt(50);
      };
    }

    private double interestingDouble() {
      double[] odd = {0, -0.0, 1, -1, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
          Double.MIN_VALUE, Double.MAX_VALUE, random.nextDouble()};
      return odd[random.nextInt(odd.length)];
    }

    private int fieldNumber(Descriptor type) {
      if (type.getFields().isEmpty() || random.nextInt(5) == 0) {
        return 1 + random.nextInt(2000);
      }
      return type.getFields().get(random.nextInt(type.getFields().size())).getNumber();
    }

    private byte[] randomBytes(int n) {
      byte[] bytes = new byte[n];
      random.nextBytes(bytes);
      return bytes;
    }

    private static void writeField(CodedOutputStream out, FieldDescriptor field, Object value) throws IOException {
      DynamicMessage.Builder holder = DynamicMessage.newBuilder(field.getContainingType());
      holder.addRepeatedField(field, value);
      holder.build().writeTo(out);
    }
  }

  interface Writer {
    void write(CodedOutputStream out) throws IOException;
  }

  static byte[] encode(Writer writer) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      writer.write(out);
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] both = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    return both;
  }

  /** What the sentinel topic holds: its description and every stored batch, partition by partition. */
  record Snapshot(TopicMetadata topic, List<FetchedPartition> partitions) {}

  static Snapshot writeSentinel(ManagedChannel channel) {
    AdminServiceGrpc.newBlockingStub(channel).createTopic(CreateTopicRequest.newBuilder().setName(SENTINEL)
        .setPartitions(2).putConfigs("retention.ms", "-1").build());
    await().atMost(Duration.ofSeconds(20)).until(() -> ConsumerServiceGrpc.newBlockingStub(channel)
        .listOffsets(ListOffsetsRequest.newBuilder()
            .addQueries(OffsetQuery.newBuilder().setTopic(SENTINEL).setPartition(0).setSpec(OffsetSpec.OFFSET_SPEC_LATEST))
            .addQueries(OffsetQuery.newBuilder().setTopic(SENTINEL).setPartition(1).setSpec(OffsetSpec.OFFSET_SPEC_LATEST))
            .build()).getResultsList().stream().noneMatch(r -> r.hasError()));
    Random random = new Random(42);
    for (int i = 0; i < 20; i++) {
      RecordSet.Builder set = RecordSet.newBuilder();
      for (int r = 0; r < 5; r++) {
        byte[] value = new byte[1 + random.nextInt(300)];
        random.nextBytes(value);
        set.addRecords(Record.newBuilder().setOffsetDelta(r).setTimestampMs(1_000 + i)
            .setKey(ByteString.copyFromUtf8("k" + r)).setValue(ByteString.copyFrom(value)));
      }
      var result = ProducerServiceGrpc.newBlockingStub(channel).produce(ProduceRequest.newBuilder()
          .addBatches(PartitionBatch.newBuilder().setTopic(SENTINEL).setPartition(i % 2)
              .setBatch(RecordBatch.newBuilder().setRecords(set.build().toByteString())))
          .build()).getResults(0);
      assertThat(result.hasError()).as("sentinel write: %s", result.getError()).isFalse();
    }
    Snapshot snapshot = snapshot(channel);
    assertThat(snapshot.partitions()).allSatisfy(p -> assertThat(p.getBatchesCount()).isEqualTo(10));
    return snapshot;
  }

  static Snapshot snapshot(ManagedChannel channel) {
    TopicMetadata described = AdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .describeTopics(DescribeTopicsRequest.newBuilder().addNames(SENTINEL).build()).getTopics(0);
    // Epochs are left out: on a starved machine the broker may miss a heartbeat, be fenced and
    // unfenced, and lead again in a later epoch. Identity, replicas, configs and data must not move.
    TopicMetadata.Builder topic = described.toBuilder();
    topic.getPartitionsBuilderList().forEach(p -> p.clearLeaderEpoch().clearPartitionEpoch());
    List<FetchedPartition> partitions = new ArrayList<>();
    for (int p = 0; p < 2; p++) {
      partitions.add(ConsumerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
          .fetch(FetchRequest.newBuilder().setMaxBytes(16 << 20).addPartitions(PartitionPosition.newBuilder()
              .setTopic(SENTINEL).setPartition(p).setOffset(0).setMaxBytes(16 << 20)).build()).getPartitions(0));
    }
    assertThat(AdminServiceGrpc.newBlockingStub(channel).listTopics(ListTopicsRequest.getDefaultInstance())
        .getTopicsList()).extracting(TopicListing::getName).contains(SENTINEL);
    return new Snapshot(topic.build(), partitions);
  }

  static long usedHeapAfterGc() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
