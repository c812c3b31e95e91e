/**
 * @community-plus/miniprogram — the Community+ client for WeChat mini-programs.
 *
 *   const { createClient, operations } = require('@community-plus/miniprogram');
 *   const client = createClient({ url: 'https://api.example.com' });
 *   const home = await client.query(operations.HomeScreen);
 */
'use strict';

var Client = require('./client').Client;
var errors = require('./errors');
var operations = require('./operations');
var socket = require('./socket');
var sha256 = require('./sha256').sha256;

function createClient(options) {
  return new Client(options);
}

module.exports = {
  createClient: createClient,
  Client: Client,
  SubscriptionClient: socket.SubscriptionClient,
  CLOSE_CODES: socket.CLOSE,
  operations: operations,
  CommunityPlusError: errors.CommunityPlusError,
  GraphQLRequestError: errors.GraphQLRequestError,
  NetworkError: errors.NetworkError,
  sha256: sha256,
};
