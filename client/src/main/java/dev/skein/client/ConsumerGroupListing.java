package dev.skein.client;

/** A consumer group as ListGroups shows it: its state (Empty, Reconciling, Stable) and how many members it has. */
public record ConsumerGroupListing(String groupId, String state, int members, int coordinatorId) {}
