"""threats"""
