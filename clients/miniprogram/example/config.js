/** Where the Community+ server is (its domain must be a request/socket/upload domain of the app). */
module.exports = {
  apiBase: 'https://api.example.com',
};
